package phd4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import phd4j.Model;

/**
 * The models of this JVM (an executor, or the driver in local mode): each file opened once, on
 * the first task that needs it, and shared by every later task and row. A model is mmap'd and
 * thread-safe, so concurrent tasks share one copy of the weights; each task has its own sessions.
 * Executors are long-lived, so the models stay open until the JVM exits, when a shutdown hook
 * closes them (unmapping the file).
 */
public final class ModelCache {
    private record Key(Path file, int threads) {}

    private static final Map<Key, Model> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger OPENS = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ModelCache::closeAll, "phd4j-model-cache-close"));
    }

    private ModelCache() {}

    /** The model the options name, opened now if this JVM has not opened it yet. */
    static Model model(PhdOptions options) {
        Path file = resolve(options.model);
        return MODELS.computeIfAbsent(new Key(file, options.threads), k -> {
            OPENS.incrementAndGet();
            return Model.load(k.file(), k.threads());
        });
    }

    /** How many times this JVM has opened a model file: one per file and thread count, however many tasks ran. */
    public static int opens() {
        return OPENS.get();
    }

    /**
     * The file itself if it exists here (a shared file system, or the same path on every node);
     * otherwise a file of that name shipped with {@code spark.files} / {@code --files}.
     */
    static Path resolve(String model) {
        Path direct = Path.of(model).toAbsolutePath().normalize();
        if (Files.isRegularFile(direct)) return direct;
        if (SparkEnv.get() != null) {
            Path shipped = Path.of(SparkFiles.get(Path.of(model).getFileName().toString()));
            if (Files.isRegularFile(shipped)) return shipped;
        }
        throw new IllegalArgumentException("phd4j: option 'model': no file " + model
                + " on this node (give a path every executor sees, or ship the file with --files and give its name)");
    }

    private static void closeAll() {
        MODELS.values().forEach(Model::close);
        MODELS.clear();
    }
}
