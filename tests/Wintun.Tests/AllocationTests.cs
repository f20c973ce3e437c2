using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun.Internal;
using RouterHost.Plugins.Wintun.Tests.Support;
using static RouterHost.Plugins.Wintun.Interop.Errors;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>The per-packet paths allocate nothing once warm.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Reading_batches_and_writing_packets_allocate_nothing_once_warm()
    {
        using var wintun = new RecyclingWintun();
        var adapter = new SafeWintunAdapterHandle(wintun, 1);
        var session = new SafeWintunSessionHandle(wintun, 2, adapter);
        adapter.Dispose();
        using var queue = new WintunQueue(wintun, session, "wt0", 64, new ReadSpin(TimeSpan.FromMicroseconds(12), 800_000_000, TimeProvider.System.TimestampFrequency), TimeProvider.System, NullLogger.Instance);
        var batch = new PacketBatch(64);

        void Work()
        {
            wintun.Available = 64;
            Assert.True(queue.Read(batch));
            for (int i = 0; i < batch.Count; i++)
            {
                queue.Write(batch[i]);
                queue.WriteFromSelf(batch[i]);
            }

            queue.Flush(batch.ReadDrops);
        }

        // Warm up past tiered compilation, whose work could otherwise land in the measured window.
        for (int i = 0; i < 300; i++)
        {
            Work();
        }

        Thread.Sleep(200);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Work();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(400 * 64 * 2, wintun.Sent);
    }

    /// <summary>A Wintun that hands out the same packet over and over and takes anything, allocating nothing itself.</summary>
    private sealed unsafe class RecyclingWintun : IWintunApi, IDisposable
    {
        private readonly byte* _received = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(1400);
        private readonly byte* _send = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(65536);
        private readonly AutoResetEvent _event = new(false);

        public RecyclingWintun()
        {
            TestPackets.Udp4(1400).CopyTo(new Span<byte>(_received, 1400));
        }

        public int Available { get; set; }

        public long Sent { get; private set; }

        public nint CreateAdapter(string name, string tunnelType, in Guid requestedGuid, out int error) => throw new NotSupportedException();

        public nint OpenAdapter(string name, out int error) => throw new NotSupportedException();

        public void CloseAdapter(nint adapter)
        {
        }

        public ulong GetAdapterLuid(nint adapter) => 1;

        public uint GetRunningDriverVersion(out int error)
        {
            error = 0;
            return 0x000E;
        }

        public nint StartSession(nint adapter, uint capacity, out int error) => throw new NotSupportedException();

        public void EndSession(nint session)
        {
        }

        public WaitHandle GetReadWaitEvent(nint session) => new BorrowedWaitHandle(_event.SafeWaitHandle.DangerousGetHandle());

        public byte* ReceivePacket(nint session, out uint size, out int error)
        {
            if (Available == 0)
            {
                size = 0;
                error = ERROR_NO_MORE_ITEMS;
                return null;
            }

            Available--;
            size = 1400;
            error = 0;
            return _received;
        }

        public void ReleaseReceivePacket(nint session, byte* packet)
        {
        }

        public byte* AllocateSendPacket(nint session, uint size, out int error)
        {
            error = 0;
            return _send;
        }

        public void SendPacket(nint session, byte* packet) => Sent++;

        public void Dispose()
        {
            System.Runtime.InteropServices.NativeMemory.Free(_received);
            System.Runtime.InteropServices.NativeMemory.Free(_send);
            _event.Dispose();
        }
    }
}
