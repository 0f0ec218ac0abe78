package phd4j.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static phd4j.gguf.OpenExpectations.openExpectingFailure;
import static phd4j.gguf.OpenExpectations.openSucceedsOrFailsCleanly;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import phd4j.testing.SharedFiles;

/**
 * A real model (stories260K Q4_0: 48 tensors, a 512-token vocabulary) cut short at every header
 * byte and at a sample of data offsets, and with every header field overwritten. Each open must
 * either succeed (where the change leaves a valid file) or end in one GgufException naming the
 * file. Thousands of opens run under one preemptive time bound each loop; one open that hangs or
 * allocates wildly would blow it.
 */
class GgufCorruptionTest {
    private static final Duration LOOP_BOUND = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private byte[] original;
    private long dataOffset;
    private long dataEnd;
    private Path copy;

    @BeforeEach
    void copyModel() throws IOException {
        Path model = SharedFiles.file("models/stories260K-Q4_0.gguf");
        original = Files.readAllBytes(model);
        try (GgufFile f = GgufFile.open(model)) {
            dataOffset = f.dataOffset();
            dataEnd = dataOffset + f.tensors().stream().mapToLong(t -> t.offset() + t.byteSize()).max().orElseThrow();
        }
        assertTrue(dataEnd < original.length, "the model's last tensor is padded (the test relies on it)");
        copy = Files.write(tmp.resolve("stories260K-Q4_0.gguf"), original);
    }

    @Test
    void truncatedAtEveryHeaderByte() {
        assertTimeoutPreemptively(LOOP_BOUND, () -> {
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                for (long n = dataOffset; n >= 1; n--) {
                    ch.truncate(n);
                    openExpectingFailure(copy, "truncated to " + n + " bytes");
                }
            }
        });
    }

    @Test
    void truncatedInsideTheData() {
        TreeSet<Long> cuts = new TreeSet<>();
        Random r = new Random(42);
        for (int i = 0; i < 300; i++) cuts.add(dataOffset + 1 + (long) (r.nextDouble() * (dataEnd - dataOffset - 1)));
        cuts.add(dataEnd - 1);
        assertTimeoutPreemptively(LOOP_BOUND, () -> {
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                // Cutting only the last tensor's padding leaves a valid file (llama.cpp accepts it too).
                for (long n = original.length - 1; n >= dataEnd; n--) {
                    ch.truncate(n);
                    assertNull(OpenExpectations.outcome(copy), "cut to " + n + " bytes, inside the final padding");
                }
                for (long n : cuts.descendingSet()) {
                    ch.truncate(n);
                    GgufException e = openExpectingFailure(copy, "truncated to " + n + " bytes");
                    assertTrue(e.getMessage().contains("past the end"), e.getMessage());
                }
            }
        });
    }

    @Test
    void everyHeaderFieldOverwritten() throws IOException {
        List<HeaderFields.Field> fields = HeaderFields.of(original);
        assertTrue(fields.size() > 1000, "walked " + fields.size() + " fields");
        HeaderFields.Field last = fields.getLast();
        assertEquals(GgufFormat.alignUp(last.offset() + last.size(), 32), dataOffset, "the walk covers the header");
        assertTimeoutPreemptively(LOOP_BOUND, () -> {
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                for (HeaderFields.Field f : fields) {
                    String label = f.name() + " at byte " + f.offset();
                    int n = Math.min(f.size(), 8);
                    byte[] ones = new byte[n];
                    Arrays.fill(ones, (byte) 0xFF);
                    byte[] orig = Arrays.copyOfRange(original, f.offset(), f.offset() + n);
                    // All ones: impossible for a count, length, type, n_dims, dim or offset.
                    put(ch, f.offset(), ones);
                    if (f.structural()) openExpectingFailure(copy, label + " = all 0xFF");
                    else openSucceedsOrFailsCleanly(copy, label + " = all 0xFF");
                    // Small changes that keep the parse going further: +1, sign bit, zero.
                    for (byte[] m : List.of(plusOne(orig), topBit(orig, f.size()), new byte[n])) {
                        put(ch, f.offset(), m);
                        openSucceedsOrFailsCleanly(copy, label + " = " + Arrays.toString(m));
                    }
                    put(ch, f.offset(), orig);
                }
            }
        });
        try (GgufFile f = GgufFile.open(copy)) {
            assertEquals(48, f.tensors().size(), "restored");
        }
    }

    private static void put(FileChannel ch, long at, byte[] b) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) ch.write(buf, at + buf.position());
    }

    private static byte[] plusOne(byte[] b) {
        byte[] c = b.clone();
        c[0]++;
        return c;
    }

    /** Sets the sign bit of a little-endian field of {@code size} bytes (its last byte, when that is within {@code b}). */
    private static byte[] topBit(byte[] b, int size) {
        byte[] c = b.clone();
        c[Math.min(size, c.length) - 1] ^= (byte) 0x80;
        return c;
    }
}
