/**
 * Reading and writing GGUF files (llama.cpp's model format), v2 and v3, little-endian.
 *
 * <p>{@link phd4j.gguf.GgufFile} maps a file once, read-only, and validates the whole header before
 * anything is used; {@link phd4j.gguf.GgufWriter} writes llama.cpp's exact layout, so a file read
 * and written back is byte-identical. Decisions where the format or llama.cpp leave room:
 * <ul>
 *   <li>Invalid UTF-8 in a string is decoded as U+FFFD rather than refused, so every file llama.cpp
 *       loads opens here (llama.cpp keeps the raw bytes); such a string is not preserved by a write.
 *   <li>A dimension of 0 is refused: an empty tensor has no use in a model and no place in the data.
 *   <li>n_dims must be 1..4 (ggml's limit); arrays may nest up to 8 deep (the spec allows nesting,
 *       no known file uses it, and the bound keeps recursion and hostile files in check).
 *   <li>Bool values must be 0 or 1, so that a read-write round trip cannot change a byte.
 *   <li>Tensor offsets must be aligned, inside the file and free of overlap; unlike llama.cpp they
 *       need not be in file order without gaps. The writer always lays them out in order.
 *   <li>Without tensors there is no data section: llama.cpp's vocab-only files end right after
 *       the header, so {@link phd4j.gguf.GgufFile#dataOffset()} may then lie past the end.
 *   <li>Bytes after the last tensor are ignored.
 * </ul>
 */
package phd4j.gguf;
