package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.simd.GgmlType;

/** Writer behaviour on synthetic content: every value type, nesting, versions, layout and argument checks. */
class GgufWriterTest {
    @TempDir
    Path tmp;

    /** One key of every scalar type and of every array element type, with edge values. */
    static Map<String, GgufValue> everyType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.ofString("llama"));
        m.put("u8", GgufValue.ofUInt8(250));
        m.put("i8", GgufValue.ofInt8((byte) -5));
        m.put("u16", GgufValue.ofUInt16(65535));
        m.put("i16", GgufValue.ofInt16((short) -30000));
        m.put("u32", GgufValue.ofUInt32(4_000_000_000L));
        m.put("i32", GgufValue.ofInt32(-2_000_000_000));
        m.put("u64", GgufValue.ofUInt64(1L << 40));
        m.put("u64.huge", GgufValue.ofUInt64(-1L));
        m.put("i64", GgufValue.ofInt64(Long.MIN_VALUE));
        m.put("f32", GgufValue.ofFloat32(1e-5f));
        m.put("f32.nan", GgufValue.ofFloat32(Float.intBitsToFloat(0x7fc0_1234)));
        m.put("f64", GgufValue.ofFloat64(Math.PI));
        m.put("bool.t", GgufValue.ofBool(true));
        m.put("bool.f", GgufValue.ofBool(false));
        m.put("str.empty", GgufValue.ofString(""));
        m.put("str.unicode", GgufValue.ofString("héllo ▁wörld 🦙 \u0000 end"));
        m.put("a.u8", arr(GgufValueType.UINT8, new byte[] {0, 1, (byte) 255}));
        m.put("a.i8", arr(GgufValueType.INT8, new byte[] {-128, 127}));
        m.put("a.u16", arr(GgufValueType.UINT16, new short[] {(short) 65535, 1}));
        m.put("a.i16", arr(GgufValueType.INT16, new short[] {-1, 2}));
        m.put("a.u32", arr(GgufValueType.UINT32, new int[] {-1, 7}));
        m.put("a.i32", arr(GgufValueType.INT32, new int[] {-7, 1, 2, 3}));
        m.put("a.u64", arr(GgufValueType.UINT64, new long[] {5, 6}));
        m.put("a.i64", arr(GgufValueType.INT64, new long[] {-5, 1L << 33}));
        m.put("a.f32", arr(GgufValueType.FLOAT32, new float[] {0.5f, -0f, Float.NEGATIVE_INFINITY}));
        m.put("a.f64", arr(GgufValueType.FLOAT64, new double[] {0.25, -1e300}));
        m.put("a.bool", arr(GgufValueType.BOOL, new boolean[] {true, false, true}));
        m.put("a.str", arr(GgufValueType.STRING, new String[] {"a", "", "Ġthe", "<0x0A>"}));
        m.put("a.empty", arr(GgufValueType.INT32, new int[0]));
        GgufArray inner1 = GgufArray.ofInt32s(1, 2);
        GgufArray inner2 = GgufArray.ofStrings("x", "y", "z");
        GgufArray nestedTwice = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {new GgufArray(GgufValueType.ARRAY,
                new GgufArray[] {GgufArray.ofFloats(1f)}), new GgufArray(GgufValueType.ARRAY, new GgufArray[0])});
        m.put("a.nested", arr(GgufValueType.ARRAY, new GgufArray[] {inner1, inner2}));
        m.put("a.nested2", GgufValue.ofArray(nestedTwice));
        return m;
    }

    private static GgufValue arr(GgufValueType et, Object values) {
        return GgufValue.ofArray(new GgufArray(et, values));
    }

    private static MemorySegment floats(float... v) {
        return MemorySegment.ofArray(v.clone());
    }

    @Test
    void everyValueTypeRoundTripsThroughGgufFile() {
        Map<String, GgufValue> m = everyType();
        Path out = tmp.resolve("every.gguf");
        GgufWriter.write(out, m, List.of());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(3, f.version());
            assertEquals(List.copyOf(m.keySet()), List.copyOf(f.metadata().keySet()), "file order kept");
            assertEquals(m, f.metadata());
            assertEquals(0x7fc0_1234, Float.floatToRawIntBits((Float) f.metadata().get("f32.nan").value()), "NaN payload kept");
            assertEquals(250, f.getInt("u8"));
            assertEquals(-5, f.getInt("i8"));
            assertEquals(65535, f.getInt("u16"));
            assertEquals(4_000_000_000L, f.getLong("u32"));
            assertThrows(GgufException.class, () -> f.getInt("u32"), "UINT32 above int range");
            assertEquals(-2_000_000_000, f.getInt("i32"));
            assertEquals(1L << 40, f.getLong("u64"));
            assertThrows(GgufException.class, () -> f.getLong("u64.huge"));
            assertEquals(Long.MIN_VALUE, f.getLong("i64"));
            assertEquals(1e-5f, f.getFloat("f32"));
            assertEquals((float) Math.PI, f.getFloat("f64"));
            assertTrue(f.getBool("bool.t", false));
            assertFalse(f.getBool("bool.f", true));
            assertEquals("", f.getString("str.empty"));
            assertEquals("héllo ▁wörld 🦙 \u0000 end", f.getString("str.unicode"));
            assertArrayEquals(new int[] {0, 1, 255}, f.getIntArray("a.u8"));
            assertArrayEquals(new int[] {-128, 127}, f.getIntArray("a.i8"));
            assertArrayEquals(new int[] {65535, 1}, f.getIntArray("a.u16"));
            assertThrows(GgufException.class, () -> f.getIntArray("a.u32"), "UINT32 element above int range");
            assertArrayEquals(new int[] {5, 6}, f.getIntArray("a.u64"));
            assertThrows(GgufException.class, () -> f.getIntArray("a.i64"), "INT64 element above int range");
            assertArrayEquals(new float[] {0.5f, -0f, Float.NEGATIVE_INFINITY}, f.getFloatArray("a.f32"));
            assertArrayEquals(new float[] {0.25f, Float.NEGATIVE_INFINITY}, f.getFloatArray("a.f64"));
            assertArrayEquals(new String[] {"a", "", "Ġthe", "<0x0A>"}, f.getStringArray("a.str"));
            assertEquals(0, f.getIntArray("a.empty").length);
            assertThrows(GgufException.class, () -> f.getStringArray("a.i32"));
            assertThrows(GgufException.class, () -> f.getFloatArray("a.str"));
            assertThrows(GgufException.class, () -> f.getIntArray("a.f32"));
            assertThrows(GgufException.class, () -> f.getFloat("i32"));
            assertThrows(GgufException.class, () -> f.getBool("i32", false));
            GgufArray nested = f.metadata().get("a.nested").asArray();
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(GgufArray.ofStrings("x", "y", "z"), ((GgufArray[]) nested.values())[1]);
            f.getStringArray("a.str")[0] = "changed";
            assertEquals("a", f.getStringArray("a.str")[0], "getters return copies");
        }
    }

    @Test
    void versionTwoAndThreeDifferOnlyInTheVersionField() throws IOException {
        Map<String, GgufValue> m = everyType();
        List<GgufWriter.TensorData> t = List.of(new GgufWriter.TensorData("w", GgmlType.F32, new long[] {3}, floats(1, 2, 3)));
        Path v2 = tmp.resolve("v2.gguf");
        Path v3 = tmp.resolve("v3.gguf");
        GgufWriter.write(v2, 2, m, t);
        GgufWriter.write(v3, 3, m, t);
        byte[] b2 = Files.readAllBytes(v2);
        byte[] b3 = Files.readAllBytes(v3);
        assertEquals(2, b2[4]);
        assertEquals(3, b3[4]);
        b2[4] = 3;
        assertArrayEquals(b3, b2);
        try (GgufFile f = GgufFile.open(v2)) {
            assertEquals(2, f.version());
            assertEquals(m, f.metadata());
        }
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(tmp.resolve("v1.gguf"), 1, m, t));
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(tmp.resolve("v4.gguf"), 4, m, t));
    }

    @Test
    void tensorsAreAlignedPaddedAndReadBack() throws IOException {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.alignment", GgufValue.ofUInt32(64));
        byte[] q8 = new byte[34 * 2];
        for (int i = 0; i < q8.length; i++) q8[i] = (byte) (i * 7);
        List<GgufWriter.TensorData> ts = List.of(
                new GgufWriter.TensorData("a", GgmlType.F32, new long[] {5}, floats(1, 2, 3, 4, 5)),
                new GgufWriter.TensorData("b", GgmlType.Q8_0, new long[] {32, 2}, MemorySegment.ofArray(q8)),
                new GgufWriter.TensorData("c", GgmlType.F32, new long[] {1, 1, 1, 1}, floats(9)));
        Path out = tmp.resolve("t.gguf");
        GgufWriter.write(out, m, ts);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals(List.of(0L, 64L, 192L), f.tensors().stream().map(GgufTensorInfo::offset).toList());
            assertEquals(f.dataOffset() + 256, f.fileSize(), "the last tensor is padded too");
            assertArrayEquals(new long[] {32, 2}, f.tensor("b").dims());
            assertEquals(64, f.tensor("b").elementCount());
            assertArrayEquals(q8, f.tensorData(f.tensor("b")).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5}, f.tensorData(f.tensor("a")).toArray(ValueLayout.JAVA_FLOAT));
            // padding is zeros
            byte[] all = Files.readAllBytes(out);
            for (long i = f.dataOffset() + 20; i < f.dataOffset() + 64; i++) assertEquals(0, all[(int) i]);
        }
    }

    @Test
    void fileWithoutTensorsHasNoPadding() throws IOException {
        Path out = tmp.resolve("vocab.gguf");
        GgufWriter.write(out, Map.of("k", GgufValue.ofString("abc")), List.of());
        // magic 4 + version 4 + counts 16 + key (8 + 1) + type 4 + string (8 + 3)
        assertEquals(4 + 4 + 16 + 9 + 4 + 11, Files.size(out));
        try (GgufFile f = GgufFile.open(out)) {
            assertTrue(f.tensors().isEmpty());
        }
    }

    @Test
    void overwritesAtomicallyAndLeavesNoTemporaryFiles() throws IOException {
        Path out = tmp.resolve("x.gguf");
        Files.writeString(out, "old content");
        GgufWriter.write(out, everyType(), List.of());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("llama", f.getString("general.architecture"));
        }
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(),
                List.of(new GgufWriter.TensorData("w", GgmlType.F32, new long[] {4}, floats(1)))));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("llama", f.getString("general.architecture"), "a failed write leaves the old file");
        }
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList());
        }
        GgufException e = assertThrows(GgufException.class,
                () -> GgufWriter.write(tmp.resolve("no/such/dir/y.gguf"), Map.of(), List.of()));
        assertTrue(e.getMessage().contains("y.gguf"), e.getMessage());
    }

    @Test
    void refusesWhatTheReaderWouldRefuse() {
        Path out = tmp.resolve("bad.gguf");
        MemorySegment four = floats(1, 2, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(), List.of(
                new GgufWriter.TensorData("w", GgmlType.F32, new long[] {4}, four),
                new GgufWriter.TensorData("w", GgmlType.F32, new long[] {4}, four))), "duplicate name");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(), List.of(
                new GgufWriter.TensorData("w", GgmlType.F32, new long[0], four))), "no dims");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(), List.of(
                new GgufWriter.TensorData("w", GgmlType.F32, new long[] {1, 1, 1, 1, 4}, four))), "5 dims");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(), List.of(
                new GgufWriter.TensorData("w", GgmlType.F32, new long[] {4, 0}, four))), "zero dim");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of(), List.of(
                new GgufWriter.TensorData("w", GgmlType.Q8_0, new long[] {16}, MemorySegment.ofArray(new byte[17])))), "partial block");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out,
                Map.of("general.alignment", GgufValue.ofUInt32(48)), List.of()), "alignment not a power of two");
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out,
                Map.of("general.alignment", GgufValue.ofInt32(64)), List.of()), "alignment not UINT32");
        GgufArray deep = GgufArray.ofInt32s(1);
        for (int i = 0; i < 8; i++) deep = new GgufArray(GgufValueType.ARRAY, new GgufArray[] {deep});
        GgufValue tooDeep = GgufValue.ofArray(deep);
        assertThrows(IllegalArgumentException.class, () -> GgufWriter.write(out, Map.of("deep", tooDeep), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.UINT32, 5L), "wrong boxed type");
        assertThrows(IllegalArgumentException.class, () -> new GgufArray(GgufValueType.INT16, new int[1]), "wrong array type");
        assertFalse(Files.exists(out));
    }

    @Test
    void writesTensorsFromOffHeapSegments() {
        Path out = tmp.resolve("offheap.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(4L * 1000, 64);
            for (int i = 0; i < 1000; i++) data.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
            GgufWriter.write(out, Map.of(), List.of(new GgufWriter.TensorData("big", GgmlType.F32, new long[] {100, 10}, data)));
        }
        try (GgufFile f = GgufFile.open(out)) {
            float[] back = f.tensorData(f.tensor("big")).toArray(ValueLayout.JAVA_FLOAT);
            assertEquals(999 * 0.5f, back[999]);
        }
    }

    @Test
    void producedTensorsGiveTheSameFileAsInMemoryOnes() throws IOException {
        byte[] q8 = new byte[34 * 3];
        for (int i = 0; i < q8.length; i++) q8[i] = (byte) (i * 13);
        Path whole = tmp.resolve("whole.gguf"), pieces = tmp.resolve("pieces.gguf");
        GgufWriter.write(whole, everyType(), List.of(new GgufWriter.TensorData("q", GgmlType.Q8_0, new long[] {32, 3}, MemorySegment.ofArray(q8))));
        // the same bytes, one block at a time, from a reused buffer
        GgufWriter.write(pieces, everyType(), List.of(new GgufWriter.TensorData("q", GgmlType.Q8_0, new long[] {32, 3}, q8.length, sink -> {
            byte[] buf = new byte[34];
            for (int b = 0; b < 3; b++) {
                System.arraycopy(q8, b * 34, buf, 0, 34);
                sink.write(MemorySegment.ofArray(buf));
            }
        })));
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(pieces));
    }

    @Test
    void aProducerThatWritesTheWrongSizeLeavesNoFile() {
        Path out = tmp.resolve("short.gguf");
        var t = new GgufWriter.TensorData("w", GgmlType.F32, new long[] {4}, 16, sink -> sink.write(floats(1, 2, 3)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> GgufWriter.write(out, Map.of(), List.of(t)));
        assertTrue(e.getMessage().contains("produced 12 bytes, declared 16"), e.getMessage());
        assertFalse(Files.exists(out));
    }
}
