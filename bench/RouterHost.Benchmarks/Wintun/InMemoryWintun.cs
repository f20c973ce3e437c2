using System.Runtime.InteropServices;
using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Benchmarks.Wintun;

/// <summary>
/// A Wintun without a driver for the benchmarks: the receive side hands out <see cref="Available"/> packets from a
/// native "ring" of fixed packets, the send side allocates into a native buffer and takes each packet at once.
/// Costs what the plugin's loop costs around the copy, not what a kernel transition would.
/// </summary>
internal sealed unsafe class InMemoryWintun : IWintunApi, IDisposable
{
    private const int Slots = 64;
    private readonly byte* _ring;
    private readonly byte* _send;
    private readonly int _size;
    private readonly AutoResetEvent _event = new(false);
    private int _next;

    public InMemoryWintun(byte[] packet)
    {
        _size = packet.Length;
        _ring = (byte*)NativeMemory.AlignedAlloc((nuint)(Slots * 65536), 64);
        _send = (byte*)NativeMemory.AlignedAlloc(65536 * Slots, 64);
        for (int i = 0; i < Slots; i++)
        {
            packet.CopyTo(new Span<byte>(_ring + (i * 65536), _size));
        }
    }

    /// <summary>Packets the next reads find in the ring.</summary>
    public int Available { get; set; }

    /// <summary>A slot of the ring, for the copy baseline.</summary>
    public byte* Slot(int i) => _ring + ((i & (Slots - 1)) * 65536);

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
            error = 259; // ERROR_NO_MORE_ITEMS
            return null;
        }

        Available--;
        size = (uint)_size;
        error = 0;
        _next = (_next + 1) & (Slots - 1);
        return Slot(_next);
    }

    public void ReleaseReceivePacket(nint session, byte* packet)
    {
    }

    public byte* AllocateSendPacket(nint session, uint size, out int error)
    {
        error = 0;
        _next = (_next + 1) & (Slots - 1);
        return _send + (_next * 65536);
    }

    public void SendPacket(nint session, byte* packet)
    {
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_ring);
        NativeMemory.AlignedFree(_send);
        _event.Dispose();
    }
}
