package phd4j.fuzz;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import phd4j.convert.Progress;
import phd4j.phd.PhdConfig;
import phd4j.simd.GgmlType;
import phd4j.synth.Arch;
import phd4j.model.ModelShape;
import phd4j.synth.SyntheticModel;

/**
 * The GGUF seeds: the two committed in src/test/resources/fuzz/gguf (written by {@link #main}, so
 * they can be remade), and more tiny synthetic models made at run time, one per architecture the
 * loader handles differently, plus a quantized one.
 */
final class FuzzSeeds {
    static final Path COMMITTED = Path.of("src/test/resources/fuzz/gguf");
    static final Path TEXT = Path.of("src/test/resources/fuzz/text");

    private FuzzSeeds() {}

    /** Remakes the committed seeds: run from the engine folder. */
    public static void main(String[] args) throws Exception {
        Files.createDirectories(COMMITTED);
        write(COMMITTED.resolve("llama-tiny.gguf"), Arch.LLAMA, "4,1,1,1,8,259", GgmlType.F32, null);
        write(COMMITTED.resolve("qwen2-phd-cswa.gguf"), Arch.QWEN2, "4,1,1,1,8,259", GgmlType.F32, new PhdConfig(2, PhdConfig.Variant.CSWA, 2, 4));
    }

    /** The committed seeds and the generated ones, as files in {@code dir}. */
    static List<Path> all(Path dir) throws Exception {
        List<Path> files = new ArrayList<>();
        try (var committed = Files.list(COMMITTED)) {
            committed.sorted().forEach(files::add);
        }
        for (Arch arch : new Arch[] {Arch.GEMMA2, Arch.GEMMA3, Arch.PHI3, Arch.QWEN3, Arch.LLAMA31}) {
            Path f = dir.resolve("seed-" + arch.key() + ".gguf");
            write(f, arch, "4,1,2,1,8,259", GgmlType.F32, null);
            files.add(f);
        }
        Path q = dir.resolve("seed-llama-q8_0.gguf");
        write(q, Arch.LLAMA, "32,1,2,1,32,259", GgmlType.Q8_0, null);
        files.add(q);
        return files;
    }

    private static void write(Path f, Arch arch, String dims, GgmlType type, PhdConfig phd) {
        SyntheticModel.write(f, new SyntheticModel.Options(arch, ModelShape.parse(dims), type, 11, 32, null, phd), Progress.NONE);
    }
}
