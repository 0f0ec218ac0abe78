package phd4j.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The off-heap memory a KV cache may take. Its segments count against the JVM's direct-memory
 * limit (-XX:MaxDirectMemorySize, by default the heap limit), and beyond that against the RAM of
 * the machine or container; past either the allocation dies in an OutOfMemoryError trace.
 */
final class MemoryCheck {
    private MemoryCheck() {}

    /** Throws the one-line refusal if {@code bytes} of off-heap memory are not there. */
    static void requireOffHeap(long bytes, String what) {
        long direct = directLimit() - directUsed();
        long ram = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        long available = Math.min(direct, ram);
        if (bytes > available) {
            String limit = direct <= ram ? "what is left of the JVM's direct-memory limit (-XX:MaxDirectMemorySize in PHD_JAVA_OPTS raises it)" : "the RAM";
            throw new Main.UserException(what + " needs " + InfoCommand.bytes(bytes) + ", and there is "
                    + InfoCommand.bytes(Math.max(available, 0)) + ": " + limit);
        }
    }

    private static long directLimit() {
        String option = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption("MaxDirectMemorySize").getValue();
        long set = Long.parseLong(option);
        return set > 0 ? set : Runtime.getRuntime().maxMemory(); // 0: the JVM's default, the heap limit
    }

    private static long directUsed() {
        long used = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) used += pool.getMemoryUsed();
        }
        return used;
    }
}
