package phd4j.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class MemoryCheckTest {
    private static final long MIB = 1 << 20;

    /** The check's premise: a KV cache's automatic-arena segments are counted as direct memory. */
    @Test
    void automaticArenaSegmentsCountAsDirectMemory() {
        long before = MemoryCheck.directUsed();
        var segment = Arena.ofAuto().allocate(64 * MIB);
        assertTrue(MemoryCheck.directUsed() >= before + 64 * MIB, "direct memory used " + MemoryCheck.directUsed() + ", before " + before);
        assertTrue(segment.byteSize() == 64 * MIB);
    }

    @Test
    void refusesPastTheDirectMemoryLimitSayingHowToRaiseIt() {
        long past = MemoryCheck.directLimit() - MemoryCheck.directUsed() + 64 * MIB;
        if (past >= MemoryCheck.availableBytes()) return; // the RAM is the bound here: the next test's case
        Main.UserException e = assertThrows(Main.UserException.class, () -> MemoryCheck.requireOffHeap(past, "the KV cache"));
        assertTrue(e.getMessage().startsWith("the KV cache needs "), e.getMessage());
        assertTrue(e.getMessage().contains("-XX:MaxDirectMemorySize=SIZE"), e.getMessage());
    }

    @Test
    void refusesPastTheAvailableRamNamingIt() {
        long past = Math.max(MemoryCheck.availableBytes(), MemoryCheck.directLimit()) + 1024 * MIB;
        Main.UserException e = assertThrows(Main.UserException.class, () -> MemoryCheck.requireOffHeap(past, "the KV cache"));
        assertTrue(e.getMessage().contains("of memory is available"), e.getMessage());
        assertTrue(!e.getMessage().contains("MaxDirectMemorySize"), "raising the direct limit would not help: " + e.getMessage());
    }

    @Test
    void acceptsWhatFits() {
        MemoryCheck.requireOffHeap(MIB, "the KV cache");
    }
}
