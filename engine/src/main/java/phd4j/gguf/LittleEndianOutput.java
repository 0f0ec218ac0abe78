package phd4j.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/** Buffered little-endian writes to a channel, counting the bytes written (for padding). */
final class LittleEndianOutput {
    private static final int BUFFER_BYTES = 1 << 20;

    private final FileChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /** The same memory as {@link #buf}, indexed absolutely, for bulk copies from segments. */
    private final MemorySegment bufSegment = MemorySegment.ofBuffer(buf);
    private long position;

    LittleEndianOutput(FileChannel channel) {
        this.channel = channel;
    }

    long position() { return position; }

    void u8(int v) throws IOException { room(1); buf.put((byte) v); position += 1; }
    void u16(short v) throws IOException { room(2); buf.putShort(v); position += 2; }
    void u32(int v) throws IOException { room(4); buf.putInt(v); position += 4; }
    void u64(long v) throws IOException { room(8); buf.putLong(v); position += 8; }
    void f32(float v) throws IOException { room(4); buf.putFloat(v); position += 4; }
    void f64(double v) throws IOException { room(8); buf.putDouble(v); position += 8; }

    void bytes(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            room(1);
            int n = Math.min(buf.remaining(), b.length - off);
            buf.put(b, off, n);
            off += n;
            position += n;
        }
    }

    /**
     * Writes the segment's bytes as they are (tensor data is already in file byte order). They go
     * through the buffer because heap segments over non-byte arrays have no ByteBuffer view.
     */
    void segment(MemorySegment data) throws IOException {
        long size = data.byteSize();
        long off = 0;
        while (off < size) {
            room(1);
            int n = (int) Math.min(buf.remaining(), size - off);
            MemorySegment.copy(data, off, bufSegment, buf.position(), n);
            buf.position(buf.position() + n);
            off += n;
        }
        position += size;
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(long alignment) throws IOException {
        long pad = GgufFormat.alignUp(position, alignment) - position;
        for (long i = 0; i < pad; i++) u8(0);
    }

    void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) channel.write(buf);
        buf.clear();
    }

    private void room(int n) throws IOException {
        if (buf.remaining() < n) flush();
    }
}
