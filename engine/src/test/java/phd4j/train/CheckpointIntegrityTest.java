package phd4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.phd.PhdConfig;
import phd4j.simd.WorkerPool;

/**
 * A checkpoint is resumed only whole (issue 17: 4 flipped bytes in the weights resumed silently
 * and trained another model; a truncated file gave a bare EOFException). Every corruption is
 * one line naming the file and what is wrong.
 */
class CheckpointIntegrityTest {
    @TempDir Path dir;
    Path ckpt;
    byte[] good;
    Trainer trained;

    @BeforeEach
    void save() throws Exception {
        try (WorkerPool pool = new WorkerPool(1)) {
            trained = new Trainer(TrainerTest.shape(PhdConfig.VANILLA), TrainerTest.settings(4), TrainerTest.corpus(), pool);
            for (int i = 0; i < 2; i++) trained.step();
            ckpt = dir.resolve("run.ckpt");
            trained.save(ckpt);
        }
        good = Files.readAllBytes(ckpt);
    }

    private String refusal(byte[] content) throws Exception {
        Files.write(ckpt, content);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Checkpoint.read(ckpt));
        assertTrue(e.getMessage().startsWith(ckpt + ": cannot read checkpoint: "), e.getMessage());
        assertEquals(e.getMessage(), e.getCause().getMessage(), "the cause says it too: the command line prints the cause");
        assertEquals(1, e.getMessage().lines().count());
        return e.getMessage();
    }

    @Test
    void anIntactCheckpointReadsBack() {
        Checkpoint.State s = Checkpoint.read(ckpt);
        assertArrayEquals(trained.parameters(), s.params());
        assertEquals(2, s.step());
    }

    /** 4 flipped bytes in the weights, in each moment and in the checksum itself: a mismatch; in the header: refused too. */
    @Test
    void flippedBytesAnywhereAreCaught() throws Exception {
        int n = ParamLayout.of(TrainerTest.shape(PhdConfig.VANILLA)).size();
        int arrays = good.length - 8 - 12 * n;
        for (int at : new int[] {arrays + 4 * 10, arrays + 4 * n + 4, arrays + 8 * n + 4 * (n - 1), good.length - 4}) {
            assertTrue(refusal(flipped(at)).contains("checksum mismatch"), "at " + at);
        }
        refusal(flipped(20)); // the shape's fields: an invalid shape, another parameter count or a mismatch
    }

    private byte[] flipped(int at) {
        byte[] bad = good.clone();
        for (int i = 0; i < 4; i++) bad[at + i] ^= (byte) 0x5a;
        return bad;
    }

    @Test
    void oneFlippedBitInTheWeightsIsACorruptedFile() throws Exception {
        byte[] bad = good.clone();
        bad[good.length - 8 - 12 * 100] ^= 1;
        assertTrue(refusal(bad).contains("checksum mismatch (CRC32C stored"), "names what is wrong");
    }

    @Test
    void truncatedAnywhereSaysSo() throws Exception {
        for (int length : new int[] {0, 10, 60, good.length / 2, good.length - 5, good.length - 1}) {
            String m = refusal(Arrays.copyOf(good, length));
            assertTrue(m.contains("truncated") || m.contains("not a phd4j checkpoint"), length + ": " + m);
            if (length >= 200) assertTrue(m.contains(length + " bytes, expected " + good.length), m);
        }
    }

    @Test
    void extraBytesAreRefused() throws Exception {
        assertTrue(refusal(Arrays.copyOf(good, good.length + 3)).contains("too long: " + (good.length + 3) + " bytes, expected " + good.length));
    }

    @Test
    void anotherVersionOrFormatIsNamed() throws Exception {
        byte[] v2 = good.clone();
        ByteBuffer.wrap(v2).putInt(8, 2);
        assertTrue(refusal(v2).contains("checkpoint version 2, this build reads 3 (version 2 has no checksum"));
        byte[] other = good.clone();
        other[0] = 'X';
        assertTrue(refusal(other).contains("not a phd4j checkpoint"));
    }

    @Test
    void resumeRefusesACorruptedCheckpoint() throws Exception {
        byte[] bad = good.clone();
        bad[good.length - 100] ^= 4;
        Files.write(ckpt, bad);
        try (WorkerPool pool = new WorkerPool(1)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Trainer.resume(ckpt, TrainerTest.corpus(), pool, null));
            assertTrue(e.getMessage().contains(ckpt + ": cannot read checkpoint: checksum mismatch"), e.getMessage());
        }
    }
}
