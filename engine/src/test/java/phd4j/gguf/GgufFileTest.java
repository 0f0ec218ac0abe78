package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import phd4j.simd.GgmlType;
import phd4j.testing.SharedFiles;

/** Opening the real files in shared/: metadata, tensors and the typed getters. */
class GgufFileTest {

    static List<Path> sharedGgufs() throws IOException {
        Path dir = SharedFiles.dir();
        try (Stream<Path> s = Stream.concat(Files.walk(dir.resolve("models")), Files.walk(dir.resolve("fixtures/vocab")))) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
            assertFalse(files.isEmpty(), "no .gguf files under " + dir);
            return files;
        }
    }

    @Test
    void opensEverySharedFile() throws IOException {
        for (Path p : sharedGgufs()) {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(3, f.version(), p.toString());
                assertEquals(32, f.alignment());
                assertEquals(0, f.dataOffset() % f.alignment());
                assertTrue(f.has("general.architecture"), p.toString());
                for (GgufTensorInfo t : f.tensors()) {
                    assertEquals(t.byteSize(), f.tensorData(t).byteSize());
                    assertTrue(f.dataOffset() + t.offset() + t.byteSize() <= f.fileSize());
                }
            }
        }
    }

    @Test
    void storiesModelMetadataAndTensors() {
        try (GgufFile f = GgufFile.open(SharedFiles.file("models/stories260K.gguf"))) {
            assertEquals("llama", f.getString("general.architecture"));
            int nEmbd = f.getInt("llama.embedding_length");
            int layers = f.getInt("llama.block_count");
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length);
            assertEquals(512, f.getFloatArray("tokenizer.ggml.scores").length);
            assertEquals(512, f.getIntArray("tokenizer.ggml.token_type").length);
            assertTrue(f.getFloat("llama.attention.layer_norm_rms_epsilon") > 0);
            GgufTensorInfo emb = f.tensor("token_embd.weight");
            assertEquals(GgmlType.F32, emb.type());
            assertArrayEquals(new long[] {nEmbd, 512}, emb.dims());
            assertEquals(512L * nEmbd * 4, emb.byteSize());
            assertTrue(f.findTensor("blk." + (layers - 1) + ".attn_q.weight").isPresent());
            assertTrue(f.findTensor("blk." + layers + ".attn_q.weight").isEmpty());
            float first = f.tensorData(emb).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            assertTrue(Float.isFinite(first));
        }
    }

    @Test
    void gettersNameFileAndKey() {
        Path p = SharedFiles.file("models/stories260K.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            GgufException e = assertThrows(GgufException.class, () -> f.getString("no.such.key"));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("no.such.key"), e.getMessage());
            e = assertThrows(GgufException.class, () -> f.getInt("general.architecture"));
            assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
            e = assertThrows(GgufException.class, () -> f.tensor("nope.weight"));
            assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("nope.weight"), e.getMessage());
            assertEquals(7, f.getInt("no.such.key", 7));
            assertEquals(0.5f, f.getFloat("no.such.key", 0.5f));
            assertTrue(f.getBool("no.such.key", true));
            assertTrue(f.findString("no.such.key").isEmpty());
            assertTrue(f.findLong("no.such.key").isEmpty());
        }
    }

    @Test
    void bigVocabularyOpensWithoutHanging() {
        Path p = SharedFiles.file("fixtures/vocab/ggml-vocab-llama-bpe.gguf");
        // a hang guard, not a speed figure: opening takes well under a second unloaded
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(128256, f.getStringArray("tokenizer.ggml.tokens").length);
                assertTrue(f.getStringArray("tokenizer.ggml.merges").length > 200_000);
            }
        });
    }
}
