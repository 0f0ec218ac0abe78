package phd4j.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether an off-heap KV cache of some size fits. Its segments come from automatic arenas
 * (released by the GC, see OriginalKvRing.offHeapLayers), and those count against the JVM's
 * direct-memory limit (-XX:MaxDirectMemorySize, by default the heap limit) as well as against
 * the RAM the machine or container can still give. Past the first the allocation dies in
 * "Cannot reserve ... direct buffer memory"; past the second malloc refuses, or, with overcommit,
 * zeroing the pages gets the process killed. Either way the check must come first.
 */
final class MemoryCheck {
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private MemoryCheck() {}

    /** Throws the one-line refusal if {@code bytes} of off-heap memory are not there. */
    static void requireOffHeap(long bytes, String what) {
        long direct = directLimit() - directUsed();
        long ram = availableBytes();
        if (bytes <= Math.min(direct, ram)) return;
        String where = bytes > ram // raising the direct-memory limit would not help then
                ? InfoCommand.bytes(ram) + " of memory is available (of " + InfoCommand.bytes(totalBytes()) + " RAM); a smaller -c fits"
                : InfoCommand.bytes(Math.max(direct, 0)) + " is left of the JVM's direct-memory limit"
                        + " (-XX:MaxDirectMemorySize=SIZE in PHD_JAVA_OPTS raises it; " + InfoCommand.bytes(ram) + " of RAM is available)";
        throw new Main.UserException(what + " needs " + InfoCommand.bytes(bytes) + ", and " + where);
    }

    /** -XX:MaxDirectMemorySize, or where it is unset (0) the JVM's default for it: the heap limit. */
    static long directLimit() {
        String option = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("MaxDirectMemorySize").getValue();
        long set = Long.parseLong(option);
        return set > 0 ? set : Runtime.getRuntime().maxMemory();
    }

    /** Direct memory reserved so far: direct buffers and automatic-arena segments alike. */
    static long directUsed() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) used += pool.getMemoryUsed();
        }
        return used;
    }

    /**
     * The memory that can still be taken without swapping anything out: Linux's MemAvailable
     * (free pages plus page cache that can be dropped, the mapped model among it), bounded by what
     * the JVM reports free, which is the container's limit minus its usage when there is one.
     * Elsewhere the JVM's free figure alone.
     */
    static long availableBytes() {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long free = os.getFreeMemorySize();
        long memAvailable = meminfo("MemAvailable:");
        long memTotal = meminfo("MemTotal:");
        if (memAvailable < 0) return free;
        boolean container = memTotal > 0 && os.getTotalMemorySize() < memTotal;
        return container ? Math.min(memAvailable, free) : memAvailable;
    }

    private static long totalBytes() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** A "Key:   N kB" line of /proc/meminfo in bytes, or -1 where there is none (not Linux). */
    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            return -1;
        }
        return -1;
    }
}
