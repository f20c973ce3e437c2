using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// An <see cref="XskReceiver"/> over plain memory (guarded UMEM, fill and RX rings), with this test playing the
/// kernel: it takes frames from the fill ring, writes frames into them behind XDP_PACKET_HEADROOM and produces RX
/// descriptors, or produces whatever descriptors a test crafts.
/// </summary>
internal sealed class ReceiveHarness : IDisposable
{
    public const int KernelHeadroom = 256;

    public ReceiveHarness(int rxFrames = 16, int txFrames = 8, int frameSize = 2048, uint ringStart = 0)
    {
        Layout = new UmemLayout(frameSize, 0, rxFrames, txFrames);
        Umem = new GuardedUmem(Layout);
        Fill = new RingMemory((uint)rxFrames, sizeof(ulong), ringStart);
        Rx = new RingMemory((uint)rxFrames, 16, ringStart);
        Receiver = new XskReceiver(Fill.Ring, Rx.Ring, Umem.Memory, Layout, Frames.LocalMac);
        Receiver.Recycle();
    }

    public UmemLayout Layout { get; }

    public GuardedUmem Umem { get; }

    public RingMemory Fill { get; }

    public RingMemory Rx { get; }

    public XskReceiver Receiver { get; }

    /// <summary>Frames the kernel took from the fill ring and has not delivered yet.</summary>
    public Queue<ulong> KernelFrames { get; } = new();

    /// <summary>Takes every address the fill ring offers into <see cref="KernelFrames"/>; returns them.</summary>
    public List<ulong> TakeFill()
    {
        var taken = new List<ulong>();
        while (Fill.KernelConsumeAddress(out ulong address))
        {
            KernelFrames.Enqueue(address);
            taken.Add(address);
        }

        return taken;
    }

    /// <summary>As the kernel: writes <paramref name="frame"/> into the next frame it holds and produces its descriptor.</summary>
    public ulong Deliver(byte[] frame)
    {
        if (KernelFrames.Count == 0)
        {
            TakeFill();
        }

        ulong chunk = KernelFrames.Dequeue();
        ulong address = chunk + KernelHeadroom;
        frame.CopyTo(Umem.Frame((uint)(chunk / (ulong)Layout.FrameSize))[KernelHeadroom..]);
        Rx.KernelProduce(address, (uint)frame.Length);
        return address;
    }

    public void Dispose()
    {
        Rx.Dispose();
        Fill.Dispose();
        Umem.Dispose();
    }
}
