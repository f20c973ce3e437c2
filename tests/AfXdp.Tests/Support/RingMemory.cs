using System.Runtime.InteropServices;
using RouterHost.Plugins.AfXdp.Internal;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// A ring in plain native memory laid out like the kernel's (producer, consumer and flags words, then the entries),
/// with the kernel's side of it for tests: produce descriptors into an RX or completion ring, consume addresses
/// from a fill ring or descriptors from a TX ring. Indices may start anywhere, to exercise wrap-around.
/// </summary>
internal sealed unsafe class RingMemory : IDisposable
{
    private readonly byte* _block;
    private readonly int _entrySize;

    public RingMemory(uint size, int entrySize, uint startIndex = 0)
    {
        Size = size;
        _entrySize = entrySize;
        _block = (byte*)NativeMemory.AllocZeroed((nuint)(192 + (size * entrySize)));
        *Producer = startIndex;
        *Consumer = startIndex;
        Ring = new XskRing(Producer, Consumer, Flags, _block + 192, size);
    }

    public uint Size { get; }

    public XskRing Ring { get; }

    public uint* Producer => (uint*)_block;

    public uint* Consumer => (uint*)(_block + 64);

    public uint* Flags => (uint*)(_block + 128);

    public bool NeedWakeup
    {
        set => *Flags = value ? XDP_RING_NEED_WAKEUP : 0;
    }

    /// <summary>Entries the producer published that the consumer has not taken.</summary>
    public uint Backlog => *Producer - *Consumer;

    /// <summary>As the kernel: puts a descriptor into an RX ring and publishes it.</summary>
    public void KernelProduce(ulong address, uint length, uint options = 0)
    {
        ((xdp_desc*)(_block + 192))[*Producer & (Size - 1)] = new xdp_desc { addr = address, len = length, options = options };
        Volatile.Write(ref *Producer, *Producer + 1);
    }

    /// <summary>As the kernel: puts an address into a completion ring and publishes it.</summary>
    public void KernelProduceAddress(ulong address)
    {
        ((ulong*)(_block + 192))[*Producer & (Size - 1)] = address;
        Volatile.Write(ref *Producer, *Producer + 1);
    }

    /// <summary>As the kernel: takes an address from a fill ring; false when it is empty.</summary>
    public bool KernelConsumeAddress(out ulong address)
    {
        if (Volatile.Read(ref *Producer) == *Consumer)
        {
            address = 0;
            return false;
        }

        address = ((ulong*)(_block + 192))[*Consumer & (Size - 1)];
        Volatile.Write(ref *Consumer, *Consumer + 1);
        return true;
    }

    /// <summary>As the kernel: takes a descriptor from a TX ring; false when it is empty.</summary>
    public bool KernelConsume(out xdp_desc descriptor)
    {
        if (Volatile.Read(ref *Producer) == *Consumer)
        {
            descriptor = default;
            return false;
        }

        descriptor = ((xdp_desc*)(_block + 192))[*Consumer & (Size - 1)];
        Volatile.Write(ref *Consumer, *Consumer + 1);
        return true;
    }

    public void Dispose() => NativeMemory.Free(_block);
}
