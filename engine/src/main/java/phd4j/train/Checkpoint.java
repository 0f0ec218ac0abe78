package phd4j.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import phd4j.model.ModelShape;
import phd4j.phd.PhdConfig;

/**
 * A training checkpoint: shape, settings, step, data position (tokens seen), RNG state, weights
 * and both AdamW moments. Binary, big-endian header then little-endian float arrays:
 * <pre>
 *   "PHD4JCKP" u32 version=3
 *   shape:    dim layers heads kvHeads ffn vocab seqLen (i32) tied (u8) rmsEps ropeBase (f32)
 *             K (i32) variant (UTF) window chunk (i32)
 *   settings: batch steps (i32) lr minLr (f64) warmup (i32) beta1 beta2 eps weightDecay clip initStd (f64) seed (i64)
 *   step tokensSeen trainTokens rngState (i64)   n (i32)   params[n] m[n] v[n] (f32 LE)   "END!"
 *   crc32c (u32) of every byte before it
 * </pre>
 * Written to a temporary file in the same folder, forced to disk, then renamed over the target
 * (atomic), so a run killed at any moment leaves either the old checkpoint or the new one. Read
 * back only whole: the size must be the one the header implies and the checksum must match, so
 * a flipped byte in the weights or a truncated copy is refused rather than trained on.
 * Version 3 added the checksum; version 2 files (without one) are refused.
 */
public final class Checkpoint {
    private static final byte[] MAGIC = "PHD4JCKP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int VERSION = 3;
    private static final byte[] END = "END!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Checkpoint() {}

    /** trainTokens: the size of the training split the run reads (the data position is the step). */
    public record State(ModelSpec spec, TrainSettings settings, long step, long tokensSeen, long trainTokens, long rngState,
                        float[] params, float[] m, float[] v) {}

    public static void write(Path file, ModelSpec spec, TrainSettings t, long step, long tokensSeen, long trainTokens, long rngState,
                             float[] params, float[] m, float[] v) {
        Path target = file.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                var bytes = new java.io.ByteArrayOutputStream();
                try (DataOutputStream o = new DataOutputStream(bytes)) {
                    o.write(MAGIC);
                    o.writeInt(VERSION);
                    ModelShape s = spec.shape();
                    o.writeInt(s.dim()); o.writeInt(s.layers()); o.writeInt(s.heads()); o.writeInt(s.kvHeads());
                    o.writeInt(s.ffn()); o.writeInt(s.vocab()); o.writeInt(spec.seqLen()); o.writeBoolean(spec.tied());
                    o.writeFloat(spec.rmsEps()); o.writeFloat(spec.ropeBase());
                    o.writeInt(spec.k()); o.writeUTF(spec.phd().variant().key); o.writeInt(spec.phd().window()); o.writeInt(spec.phd().chunk());
                    o.writeInt(t.batch()); o.writeInt(t.steps()); o.writeDouble(t.lr()); o.writeDouble(t.minLr()); o.writeInt(t.warmup());
                    o.writeDouble(t.beta1()); o.writeDouble(t.beta2()); o.writeDouble(t.eps()); o.writeDouble(t.weightDecay());
                    o.writeDouble(t.clip()); o.writeDouble(t.initStd()); o.writeLong(t.seed());
                    o.writeLong(step); o.writeLong(tokensSeen); o.writeLong(trainTokens); o.writeLong(rngState);
                    o.writeInt(params.length);
                }
                CRC32C crc = new CRC32C();
                writeFully(ch, ByteBuffer.wrap(bytes.toByteArray()), crc);
                for (float[] a : new float[][] {params, m, v}) writeFloats(ch, a, crc);
                writeFully(ch, ByteBuffer.wrap(END), crc);
                writeFully(ch, ByteBuffer.allocate(4).putInt(0, (int) crc.getValue()), null);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write checkpoint: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a hidden temporary file named after the target; harmless
                }
            }
        }
    }

    /**
     * Reads a whole checkpoint, checked.
     *
     * @throws UncheckedIOException naming the file and what is wrong: not a checkpoint, another
     *     version, truncated or too long (with the sizes), a checksum mismatch, an invalid shape
     */
    public static State read(Path file) {
        try (CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), new CRC32C());
             DataInputStream in = new DataInputStream(checked)) {
            long size = Files.size(file);
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException("not a phd4j checkpoint (no PHD4JCKP at byte 0)");
            int version = in.readInt();
            if (version != VERSION) throw new IOException("checkpoint version " + version + ", this build reads " + VERSION
                    + (version == 2 ? " (version 2 has no checksum: resume it with the build that wrote it, or start over)" : ""));
            int dim = in.readInt(), layers = in.readInt(), heads = in.readInt(), kvHeads = in.readInt();
            int ffn = in.readInt(), vocab = in.readInt(), seqLen = in.readInt();
            boolean tied = in.readBoolean();
            float eps = in.readFloat(), base = in.readFloat();
            int k = in.readInt();
            PhdConfig.Variant variant = PhdConfig.Variant.fromKey(in.readUTF());
            int window = in.readInt(), chunk = in.readInt();
            TrainSettings t = new TrainSettings(in.readInt(), in.readInt(), in.readDouble(), in.readDouble(), in.readInt(),
                    in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble(), in.readLong());
            long step = in.readLong(), seen = in.readLong(), trainTokens = in.readLong(), rng = in.readLong();
            int n = in.readInt();
            long headerBytes = MAGIC.length + 4 + 7 * 4 + 1 + 2 * 4 + 4 + 2 + utfLength(variant) + 2 * 4 + 3 * 4 + 9 * 8 + 4 * 8 + 4;
            long expected = headerBytes + 12L * Math.max(n, 0) + END.length + 4;
            if (n < 0 || size != expected) {
                throw new IOException((size < expected ? "truncated" : "too long") + ": " + size + " bytes, expected " + expected
                        + " (a header of " + headerBytes + ", weights and two moments of " + n + " parameters, trailer and checksum)");
            }
            if (variant == null) throw new IOException("unknown PHD variant in the shape");
            ModelSpec s = new ModelSpec(new ModelShape(dim, layers, heads, kvHeads, ffn, vocab), seqLen, tied, eps, base,
                    new PhdConfig(k, variant, window, chunk));
            if (n != ParamLayout.of(s).size()) throw new IOException("checkpoint holds " + n + " parameters, its shape needs " + ParamLayout.of(s).size());
            float[] params = readFloats(in, n), m = readFloats(in, n), v = readFloats(in, n);
            if (!java.util.Arrays.equals(in.readNBytes(END.length), END)) throw new IOException("no END! trailer after the moments");
            long computed = checked.getChecksum().getValue();
            long stored = Integer.toUnsignedLong(in.readInt());
            if (stored != computed) {
                throw new IOException(String.format("checksum mismatch (CRC32C stored %08x, computed %08x): the file is corrupted", stored, computed));
            }
            return new State(s, t, step, seen, trainTokens, rng, params, m, v);
        } catch (EOFException e) {
            throw failure(file, "truncated in its header");
        } catch (IOException | IllegalArgumentException e) {
            throw failure(file, e instanceof NoSuchFileException ? "no such file" : e.getMessage());
        }
    }

    /** The message on the cause as well: the command line prints the cause's. */
    private static UncheckedIOException failure(Path file, String what) {
        String message = file + ": cannot read checkpoint: " + what;
        return new UncheckedIOException(message, new IOException(message));
    }

    /** Bytes writeUTF gives the variant's key (ASCII): its length. */
    private static int utfLength(PhdConfig.Variant variant) {
        return variant == null ? 0 : variant.key.length();
    }

    private static void writeFloats(FileChannel ch, float[] a, CRC32C crc) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; ) {
            int n = Math.min(a.length - i, buf.capacity() / 4);
            buf.clear();
            buf.asFloatBuffer().put(a, i, n);
            buf.limit(n * 4);
            writeFully(ch, buf, crc);
            i += n;
        }
    }

    private static float[] readFloats(DataInputStream in, int n) throws IOException {
        float[] a = new float[n];
        byte[] raw = new byte[1 << 20];
        for (int i = 0; i < n; ) {
            int c = Math.min(n - i, raw.length / 4);
            in.readFully(raw, 0, c * 4);
            ByteBuffer.wrap(raw, 0, c * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a, i, c);
            i += c;
        }
        return a;
    }

    /** Writes all of b, adding it to crc (unless null). */
    private static void writeFully(FileChannel ch, ByteBuffer b, CRC32C crc) throws IOException {
        if (crc != null) crc.update(b.duplicate());
        while (b.hasRemaining()) ch.write(b);
    }
}
