using RouterHost.Linux;
using RouterHost.Plugins.AfXdp.Internal;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// An <see cref="XskTransmitter"/> over plain memory (guarded UMEM, TX and completion rings); this test is the
/// kernel: a kick takes up to <c>kernelBatch</c> descriptors from the TX ring (32, TX_BATCH_SIZE, unless the socket
/// raised it with XDP_MAX_TX_SKB_BUDGET; EAGAIN while more wait, as copy mode does) and, unless told to hold them,
/// completes them.
/// </summary>
internal sealed class TransmitHarness : IDisposable, IXskKicker
{
    private readonly Lock _lock = new();

    private readonly int _kernelBatch;

    public TransmitHarness(int rxFrames = 16, int txFrames = 16, int publishThreshold = 8, int kernelBatch = TX_BATCH_SIZE)
    {
        _kernelBatch = kernelBatch;
        Layout = new UmemLayout(2048, 0, rxFrames, txFrames);
        Umem = new GuardedUmem(Layout);
        Tx = new RingMemory((uint)txFrames, 16);
        Completion = new RingMemory((uint)txFrames, sizeof(ulong));
        Tx.NeedWakeup = true;
        Transmitter = new XskTransmitter(Tx.Ring, Completion.Ring, Umem.Memory, Layout, publishThreshold, this, kernelBatch);
    }

    public UmemLayout Layout { get; }

    public GuardedUmem Umem { get; }

    public RingMemory Tx { get; }

    public RingMemory Completion { get; }

    public XskTransmitter Transmitter { get; }

    /// <summary>Frames sent (copied out of the UMEM as the kernel took them).</summary>
    public List<(ulong Address, byte[] Bytes)> Sent { get; } = [];

    /// <summary>Taken but not completed (when <see cref="HoldCompletions"/>).</summary>
    public List<ulong> InFlight { get; } = [];

    public bool HoldCompletions { get; set; }

    public int Kicks { get; private set; }

    public int Kick()
    {
        lock (_lock)
        {
            Kicks++;
            for (int i = 0; i < _kernelBatch; i++)
            {
                if (!Tx.KernelConsume(out xdp_desc d))
                {
                    return 0;
                }

                Sent.Add((d.addr, Umem.Frame((uint)(d.addr / 2048))[..(int)d.len].ToArray()));
                if (HoldCompletions)
                {
                    InFlight.Add(d.addr);
                }
                else
                {
                    Completion.KernelProduceAddress(d.addr);
                }
            }

            return Tx.Backlog == 0 ? 0 : Errno.EAGAIN;
        }
    }

    /// <summary>Completes everything held.</summary>
    public void CompleteAll()
    {
        lock (_lock)
        {
            foreach (ulong address in InFlight)
            {
                Completion.KernelProduceAddress(address);
            }

            InFlight.Clear();
        }
    }

    /// <summary>Sends <paramref name="bytes"/> on <paramref name="path"/> as the queue does: take a frame, fill it, stage it.</summary>
    public bool Send(XskTxPath path, byte[] bytes)
    {
        if (!Transmitter.TryTakeFrame(path, out uint frame))
        {
            return false;
        }

        bytes.CopyTo(Transmitter.Frame(frame));
        Transmitter.Stage(path, frame, bytes.Length);
        return true;
    }

    public void Dispose()
    {
        Completion.Dispose();
        Tx.Dispose();
        Umem.Dispose();
    }
}
