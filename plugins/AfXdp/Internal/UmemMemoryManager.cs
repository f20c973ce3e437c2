using System.Buffers;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// A <see cref="Memory{T}"/> over unmanaged memory (the UMEM), so packets can be handed to the pipeline as slices
/// of it without copying. The memory is never moved, so pinning is free. It does not own the memory: whoever
/// owns the mapping keeps it alive while any slice is in use (the queue's packets are valid until its next read,
/// and the mapping is released only after every reader has left).
/// </summary>
internal sealed unsafe class UmemMemoryManager(byte* pointer, int length) : MemoryManager<byte>
{
    public byte* Pointer { get; } = pointer;

    public int Length { get; } = length;

    public override Span<byte> GetSpan() => new(Pointer, Length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)Length, nameof(elementIndex));
        return new MemoryHandle(Pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
