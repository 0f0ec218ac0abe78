package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static phd4j.gguf.OpenExpectations.assertOpenFails;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.simd.GgmlType;

/** Crafted files with one thing wrong each: every one must end in a GgufException naming the file and field. */
class GgufMalformedTest {
    private static final int F32 = GgmlType.F32.id;
    private static final int Q8_0 = GgmlType.Q8_0.id;

    @TempDir
    Path tmp;

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name + ".gguf"), bytes);
    }

    /** A small valid file: two keys and two F32 tensors of 8 elements (32 bytes each), default alignment. */
    private static byte[] valid(Consumer<RawGguf> extraKv, int extraKvCount) {
        RawGguf g = RawGguf.header(3, 2, 2 + extraKvCount).kvStr("general.architecture", "llama").kvU32("n", 7);
        extraKv.accept(g);
        return g.tensor("a", F32, 0, 8).tensor("b", F32, 32, 4, 2).pad(32).data(64).toBytes();
    }

    /** Expects failure and that the message mentions every given fragment (field names, problems). */
    private void expect(String name, byte[] bytes, String... fragments) throws IOException {
        Path p = file(name, bytes);
        GgufException e = assertOpenFails(p, name);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), name + ": '" + f + "' not in: " + e.getMessage());
    }

    @Test
    void wellFormedCraftedFilesOpen() throws IOException {
        Path p = file("valid", valid(g -> {}, 0));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.tensors().size());
            assertEquals(7, f.getInt("n"));
            assertEquals(32, f.tensorData(f.tensor("b")).byteSize());
        }
        // Nesting up to the limit opens.
        RawGguf g = RawGguf.header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < GgufFormat.MAX_ARRAY_DEPTH - 1; i++) g.u32(GgufValueType.ARRAY.id()).u64(1);
        g.u32(GgufValueType.INT32.id()).u64(1).u32(5);
        try (GgufFile f = GgufFile.open(file("deep8", g.toBytes()))) {
            assertEquals(1, f.metadata().size());
        }
        // Trailing bytes after the data are ignored, as in llama.cpp.
        byte[] v = valid(x -> {}, 0);
        byte[] longer = java.util.Arrays.copyOf(v, v.length + 100);
        try (GgufFile f = GgufFile.open(file("trailing", longer))) {
            assertEquals(2, f.tensors().size());
        }
    }

    @Test
    void invalidUtf8IsReplacedNotRefused() throws IOException {
        byte[] bad = {'a', (byte) 0xC3, 'b', (byte) 0xFF};
        Path p = file("utf8", RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id())
                .u64(bad.length).bytes(bad).toBytes());
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("a\uFFFDb\uFFFD", f.getString("k"));
        }
    }

    @Test
    void filesThatCannotBeOpened() throws IOException {
        GgufException e = assertOpenFails(tmp.resolve("missing.gguf"), "missing");
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        Path dir = Files.createDirectory(tmp.resolve("folder.gguf"));
        e = assertOpenFails(dir, "folder");
        assertTrue(e.getMessage().contains("folder"), e.getMessage());
        e = assertOpenFails(file("empty", new byte[0]), "empty");
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void magicAndVersion() throws IOException {
        expect("magic", "GGML....................".getBytes(), "magic at byte 0", "not a GGUF file");
        expect("short", "GG".getBytes(), "magic at byte 0", "truncated");
        expect("v1", RawGguf.header(1, 0, 0).toBytes(), "version at byte 4", "v1 is not supported");
        expect("v4", RawGguf.header(4, 0, 0).toBytes(), "version at byte 4", "unsupported GGUF version 4");
        expect("bigendian", RawGguf.header(3L << 24, 0, 0).toBytes(), "big-endian");
    }

    @Test
    void absurdCounts() throws IOException {
        expect("tensors2^63", RawGguf.header(3, 1L << 63, 0).toBytes(), "tensor count at byte 8", "9223372036854775808");
        expect("tensors2^63-1", RawGguf.header(3, Long.MAX_VALUE, 0).toBytes(), "tensor count at byte 8");
        expect("tensors1", RawGguf.header(3, 1, 0).toBytes(), "tensor count");
        expect("kv2^64-1", RawGguf.header(3, 0, -1L).toBytes(), "metadata key count at byte 16");
        expect("kv2^40", RawGguf.header(3, 0, 1L << 40).kvU32("a", 1).toBytes(), "metadata key count");
        // The counts pass their bound (enough bytes follow) but the second key does not fit.
        expect("kvTooMany", RawGguf.header(3, 0, 2).kvU32("a", 1).u64(500).bytes(new byte[20]).toBytes(),
                "metadata key #1 key length at byte 41", "exceeds");
    }

    @Test
    void stringsAndArrays() throws IOException {
        expect("keyLength", RawGguf.header(3, 0, 1).u64(1000).bytes(new byte[20]).toBytes(),
                "metadata key #0 key length at byte 24", "exceeds");
        expect("keyLength2^64-1", RawGguf.header(3, 0, 1).u64(-1L).u32(4).u32(1).toBytes(), "metadata key #0 key length");
        expect("valueLength", RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(1L << 40).toBytes(),
                "metadata key #0 ('k') value length", "exceeds");
        expect("array2^60", RawGguf.header(3, 0, 1).str("tokenizer.ggml.tokens").u32(GgufValueType.ARRAY.id())
                        .u32(GgufValueType.STRING.id()).u64(1L << 60).str("a").toBytes(),
                "metadata key #0 ('tokenizer.ggml.tokens') array length at byte 61", "1152921504606846976");
        expect("arrayF64", RawGguf.header(3, 0, 1).str("f").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.FLOAT64.id()).u64(3).u64(0).u64(0).toBytes(), "array length");
        expect("arrayNeg", RawGguf.header(3, 0, 1).str("f").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.UINT8.id()).u64(-5L).toBytes(), "array length");
        expect("arrayElement", RawGguf.header(3, 0, 1).str("t").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(2).str("ok").u64(99).u64(0).toBytes(),
                "metadata key #0 ('t') array element [1] length");
        RawGguf deep = RawGguf.header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 100; i++) deep.u32(GgufValueType.ARRAY.id()).u64(1);
        expect("nested100", deep.toBytes(), "nested deeper");
        expect("arrayType", RawGguf.header(3, 0, 1).str("x").u32(GgufValueType.ARRAY.id()).u32(13).u64(0).toBytes(),
                "array element type", "unknown value type 13");
        expect("valueType", RawGguf.header(3, 0, 1).str("x").u32(77).u32(0).toBytes(),
                "metadata key #0 ('x') value type at byte 33", "unknown value type 77");
        expect("bool2", RawGguf.header(3, 0, 1).str("b").u32(GgufValueType.BOOL.id()).u8(2).toBytes(), "bool must be 0 or 1");
        expect("boolArray", RawGguf.header(3, 0, 1).str("b").u32(GgufValueType.ARRAY.id()).u32(GgufValueType.BOOL.id())
                .u64(2).u8(1).u8(9).toBytes(), "array element [1]", "bool must be 0 or 1");
        expect("duplicateKey", RawGguf.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).toBytes(),
                "metadata key #1 ('k') at byte", "duplicate key");
        expect("scalarTruncated", RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.UINT64.id()).u32(0).toBytes(),
                "metadata key #0 ('k') value", "truncated");
    }

    @Test
    void alignment() throws IOException {
        expect("alignment0", valid(g -> g.kvU32("general.alignment", 0), 1), "general.alignment", "not a nonzero power of two");
        expect("alignment3", valid(g -> g.kvU32("general.alignment", 3), 1), "general.alignment", "alignment 3");
        expect("alignmentType", valid(g -> g.kvStr("general.alignment", "32"), 1), "general.alignment", "must be UINT32");
        // 64-byte alignment: the first tensor's data offset 0 is fine, 32 for the second is not.
        expect("alignment64", valid(g -> g.kvU32("general.alignment", 64), 1),
                "tensor #1 ('b') offset", "not a multiple of the alignment 64");
    }

    @Test
    void tensorInfos() throws IOException {
        expect("ndims0", RawGguf.header(3, 1, 0).tensor("t", F32, 0).pad(32).data(32).toBytes(),
                "tensor #0 ('t') n_dims at byte 33", "n_dims 0");
        expect("ndims9", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1).pad(32).data(32).toBytes(),
                "n_dims 9");
        expect("dim2^62", RawGguf.header(3, 1, 0).tensor("blk.0.attn_q.weight", F32, 0, 8, 1L << 62).pad(32).data(32).toBytes(),
                "tensor #0 ('blk.0.attn_q.weight') dims[1]", "overflows");
        expect("dim2^62alone", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 1L << 62).pad(32).data(32).toBytes(),
                "tensor #0 ('t') dims", "overflows");
        expect("dimProduct", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 1L << 32, 1L << 32).pad(32).toBytes(), "dims[1]", "overflows");
        expect("dimNegative", RawGguf.header(3, 1, 0).tensor("t", F32, 0, -1L).pad(32).toBytes(), "dims[0]");
        expect("dim0", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 8, 0).pad(32).toBytes(), "dims[1]", "at least 1");
        expect("type99", RawGguf.header(3, 1, 0).tensor("t", 99, 0, 8).pad(32).data(32).toBytes(),
                "tensor #0 ('t') type", "unknown ggml type id 99");
        expect("typeGap", RawGguf.header(3, 1, 0).tensor("t", 4, 0, 32).pad(32).data(32).toBytes(), "unknown ggml type id 4");
        expect("partialBlock", RawGguf.header(3, 1, 0).tensor("t", Q8_0, 0, 16, 2).pad(32).data(64).toBytes(),
                "dims[0]", "not a multiple of the Q8_0 block size 32");
        expect("offsetPastEnd", RawGguf.header(3, 1, 0).tensor("t", F32, 1L << 40, 8).pad(32).data(32).toBytes(),
                "tensor #0 ('t') offset", "past the end");
        expect("offsetHuge", RawGguf.header(3, 1, 0).tensor("t", F32, -32L, 8).pad(32).data(32).toBytes(), "tensor #0 ('t') offset");
        expect("dataShort", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 8).pad(32).data(31).toBytes(), "past the end");
        expect("noData", RawGguf.header(3, 1, 0).tensor("t", F32, 0, 8).toBytes(), "past the end");
        expect("unaligned", RawGguf.header(3, 2, 0).tensor("a", F32, 0, 8).tensor("b", F32, 33, 8).pad(32).data(128).toBytes(),
                "tensor #1 ('b') offset", "not a multiple of the alignment 32");
        expect("overlap", RawGguf.header(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 8).pad(32).data(128).toBytes(),
                "tensor #1 ('b') offset", "overlaps tensor #0 ('a')");
        expect("overlapReversed", RawGguf.header(3, 2, 0).tensor("a", F32, 32, 8).tensor("b", F32, 0, 16).pad(32).data(128).toBytes(),
                "tensor #0 ('a') offset", "overlaps tensor #1 ('b')");
        expect("sameOffset", RawGguf.header(3, 2, 0).tensor("a", F32, 0, 8).tensor("b", F32, 0, 8).pad(32).data(64).toBytes(), "overlaps");
        expect("duplicateName", RawGguf.header(3, 2, 0).tensor("w", F32, 0, 8).tensor("w", F32, 32, 8).pad(32).data(64).toBytes(),
                "tensor #1 ('w') name", "duplicate tensor name");
        expect("nameLength", RawGguf.header(3, 1, 0).u64(1L << 50).bytes(new byte[40]).toBytes(), "tensor #0 name length at byte 24", "exceeds");
        expect("infoTruncated", RawGguf.header(3, 1, 0).str("tensor_with_long_name").u32(2).u64(8).bytes(new byte[7]).toBytes(),
                "tensor #0 ('tensor_with_long_name') dims[1] at byte 65", "truncated");
    }
}
