package phd4j.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The blocked kernels of attention: scores of many query rows against a run of keys, and the
 * weighted sum of a run of values into many output rows. Query, score and output rows are
 * given by their offsets, so a caller can group any rows (all query heads of a KV head group
 * and all rows of a batch) and read each cached key and value once for all of them; keys and
 * values of a run are at a fixed stride. Register-blocked: 4 query rows x 4
 * keys per dot-product tile, 4 output rows x 2 vectors per value tile.
 */
public final class AttentionOps {
    private static final VectorSpecies<Float> F = Lanes.F;
    private static final int L = Lanes.L;

    static {
        if (L < 4 || L > 16) throw new IllegalStateException("unsupported vector length " + L);
    }

    private AttentionOps() {
    }

    /**
     * s[sOff[r] + sCol + j] = scale * dot(q[qOff[r] ..], k[kOff + j * kStride ..]) over hd
     * elements, for query rows r < nq and keys j < nk.
     */
    public static void scores(float[] q, int[] qOff, int nq, MemorySegment k, int kOff, int kStride, int nk, int hd,
                              float scale, float[] s, int[] sOff, int sCol) {
        checkRun(k.byteSize(), kOff, kStride, nk, hd);
        int bound = F.loopBound(hd);
        float[] sums = new float[16];
        for (int r = 0; r < nq; r += 4) {
            int last = Math.min(r + 3, nq - 1);
            int q0 = qOff[r], q1 = qOff[Math.min(r + 1, last)], q2 = qOff[Math.min(r + 2, last)], q3 = qOff[last];
            int ni = last - r + 1;
            // A lone row (a decode step without GQA) takes one dot per key: no repeated rows.
            int tiled = ni == 1 ? 0 : nk & ~3;
            int j = 0;
            for (; j < tiled; j += 4) {
                int k0 = kOff + j * kStride, k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
                tile(q, q0, q1, q2, q3, k, k0, kStride, bound, sums);
                for (int t = 0; t < ni; t++) {
                    int qo = qOff[r + t], so = sOff[r + t] + sCol + j;
                    float s0 = sums[4 * t], s1 = sums[4 * t + 1], s2 = sums[4 * t + 2], s3 = sums[4 * t + 3];
                    for (int i = bound; i < hd; i++) {
                        float x = q[qo + i];
                        s0 += get(k, k0 + i) * x;
                        s1 += get(k, k1 + i) * x;
                        s2 += get(k, k2 + i) * x;
                        s3 += get(k, k3 + i) * x;
                    }
                    s[so] = s0 * scale;
                    s[so + 1] = s1 * scale;
                    s[so + 2] = s2 * scale;
                    s[so + 3] = s3 * scale;
                }
            }
            for (; j < nk; j++) {
                int kj = kOff + j * kStride;
                for (int t = 0; t < ni; t++) s[sOff[r + t] + sCol + j] = dot(q, qOff[r + t], k, kj, hd) * scale;
            }
        }
    }

    /**
     * The 16 dot products of query rows q0..q3 with 4 keys (k0, k0 + kStride, ..) over the first
     * {@code bound} elements, into sums[4 t + key] (t: the query row). A method of its own, taking
     * no vectors, and each sum reduced on its own: inside {@link #scores}, a tree of pairwise
     * lane sums (two-vector selectFrom) made the method too large for C2, which left those calls
     * boxing every vector (about a gigabyte of garbage in a 1.1b tg128 run).
     */
    private static void tile(float[] q, int q0, int q1, int q2, int q3, MemorySegment k, int k0, int kStride, int bound, float[] sums) {
        int k1 = k0 + kStride, k2 = k1 + kStride, k3 = k2 + kStride;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        for (int i = 0; i < bound; i += L) {
            FloatVector v0 = load(k, k0 + i);
            FloatVector v1 = load(k, k1 + i);
            FloatVector v2 = load(k, k2 + i);
            FloatVector v3 = load(k, k3 + i);
            FloatVector u = FloatVector.fromArray(F, q, q0 + i);
            a00 = v0.fma(u, a00);
            a01 = v1.fma(u, a01);
            a02 = v2.fma(u, a02);
            a03 = v3.fma(u, a03);
            u = FloatVector.fromArray(F, q, q1 + i);
            a10 = v0.fma(u, a10);
            a11 = v1.fma(u, a11);
            a12 = v2.fma(u, a12);
            a13 = v3.fma(u, a13);
            u = FloatVector.fromArray(F, q, q2 + i);
            a20 = v0.fma(u, a20);
            a21 = v1.fma(u, a21);
            a22 = v2.fma(u, a22);
            a23 = v3.fma(u, a23);
            u = FloatVector.fromArray(F, q, q3 + i);
            a30 = v0.fma(u, a30);
            a31 = v1.fma(u, a31);
            a32 = v2.fma(u, a32);
            a33 = v3.fma(u, a33);
        }
        sums[0] = a00.reduceLanes(VectorOperators.ADD);
        sums[1] = a01.reduceLanes(VectorOperators.ADD);
        sums[2] = a02.reduceLanes(VectorOperators.ADD);
        sums[3] = a03.reduceLanes(VectorOperators.ADD);
        sums[4] = a10.reduceLanes(VectorOperators.ADD);
        sums[5] = a11.reduceLanes(VectorOperators.ADD);
        sums[6] = a12.reduceLanes(VectorOperators.ADD);
        sums[7] = a13.reduceLanes(VectorOperators.ADD);
        sums[8] = a20.reduceLanes(VectorOperators.ADD);
        sums[9] = a21.reduceLanes(VectorOperators.ADD);
        sums[10] = a22.reduceLanes(VectorOperators.ADD);
        sums[11] = a23.reduceLanes(VectorOperators.ADD);
        sums[12] = a30.reduceLanes(VectorOperators.ADD);
        sums[13] = a31.reduceLanes(VectorOperators.ADD);
        sums[14] = a32.reduceLanes(VectorOperators.ADD);
        sums[15] = a33.reduceLanes(VectorOperators.ADD);
    }

    /**
     * out[oOff[r] + c] += sum over j < nk of p[pOff[r] + pCol + j] * v[vOff + j * vStride + c],
     * for rows r < nq and c < hd.
     */
    public static void accumulate(float[] p, int[] pOff, int pCol, int nq, MemorySegment v, int vOff, int vStride, int nk, int hd,
                                  float[] out, int[] oOff) {
        if (nk == 0) return;
        checkRun(v.byteSize(), vOff, vStride, nk, hd);
        for (int r = 0; r < nq; r += 4) {
            int last = Math.min(r + 3, nq - 1);
            int ni = last - r + 1;
            int p0 = pOff[r] + pCol, p1 = pOff[Math.min(r + 1, last)] + pCol, p2 = pOff[Math.min(r + 2, last)] + pCol, p3 = pOff[last] + pCol;
            int o0 = oOff[r], o1 = oOff[Math.min(r + 1, last)], o2 = oOff[Math.min(r + 2, last)], o3 = oOff[last];
            int c = 0;
            for (; c + 2 * L <= hd; c += 2 * L) {
                FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
                for (int j = 0, vo = vOff + c; j < nk; j++, vo += vStride) {
                    FloatVector x = load(v, vo);
                    FloatVector y = load(v, vo + L);
                    FloatVector w = FloatVector.broadcast(F, p[p0 + j]);
                    a0 = x.fma(w, a0);
                    b0 = y.fma(w, b0);
                    w = FloatVector.broadcast(F, p[p1 + j]);
                    a1 = x.fma(w, a1);
                    b1 = y.fma(w, b1);
                    w = FloatVector.broadcast(F, p[p2 + j]);
                    a2 = x.fma(w, a2);
                    b2 = y.fma(w, b2);
                    w = FloatVector.broadcast(F, p[p3 + j]);
                    a3 = x.fma(w, a3);
                    b3 = y.fma(w, b3);
                }
                addInto(out, o0 + c, a0, b0);
                if (ni > 1) addInto(out, o1 + c, a1, b1);
                if (ni > 2) addInto(out, o2 + c, a2, b2);
                if (ni > 3) addInto(out, o3 + c, a3, b3);
            }
            for (; c < hd; c++) { // widths that are not a multiple of 2 vectors: scalar
                for (int t = 0; t < ni; t++) {
                    int pr = pOff[r + t] + pCol;
                    float sum = 0;
                    for (int j = 0, vo = vOff + c; j < nk; j++, vo += vStride) sum += p[pr + j] * get(v, vo);
                    out[oOff[r + t] + c] += sum;
                }
            }
        }
    }

    /**
     * The run of n rows of hd floats at a stride lies in a segment of {@code bytes}. Callers pass
     * the segment's byteSize(): besides guarding the unchecked vector loads, that call gives the
     * JIT a type profile in the caller, and with one kind of segment seen there (the ring, the
     * window and the batch rows are all off-heap) the loads compile to plain loads instead of
     * two virtual calls each.
     */
    private static void checkRun(long bytes, int off, int stride, int n, int hd) {
        if (n > 0) {
            Objects.checkFromIndexSize((long) off * Float.BYTES, ((long) (n - 1) * stride + hd) * Float.BYTES, bytes);
        }
    }

    // Keys and values are floats in an off-heap segment (the KV ring, the hidden window or the
    // batch rows); offsets count floats.
    private static FloatVector load(MemorySegment m, int index) {
        return FloatVector.fromMemorySegment(F, m, (long) index * Float.BYTES, ByteOrder.nativeOrder());
    }

    private static float get(MemorySegment m, int index) {
        return m.getAtIndex(ValueLayout.JAVA_FLOAT, index);
    }

    private static float dot(float[] q, int qo, MemorySegment k, int ko, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += L) acc = FloatVector.fromArray(F, q, qo + i).fma(load(k, ko + i), acc);
        float sum = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
        for (; i < n; i++) sum += q[qo + i] * get(k, ko + i);
        return sum;
    }

    private static void addInto(float[] out, int o, FloatVector a, FloatVector b) {
        a.add(FloatVector.fromArray(F, out, o)).intoArray(out, o);
        b.add(FloatVector.fromArray(F, out, o + L)).intoArray(out, o + L);
    }
}
