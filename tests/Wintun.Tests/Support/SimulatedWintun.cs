using System.Runtime.InteropServices;
using RouterHost.Plugins.Wintun.Internal;
using static RouterHost.Plugins.Wintun.Interop.Errors;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>
/// wintun.dll in memory, enforcing Wintun's rules so the plugin's session logic can be driven on any platform:
/// <list type="bullet">
/// <item>a received packet's memory is the ring's until released, releases must come in receive order, and a released
/// packet's bytes are overwritten (so a reader that kept pointing at them would see garbage);</item>
/// <item>an adapter has at most one session (a second start fails with ERROR_ALREADY_INITIALIZED);</item>
/// <item>each ring holds <c>capacity</c> bytes of packets at 4-byte-aligned <c>4 + size</c> each, as Wintun's do: the
/// driver drops what the receive side cannot hold, and allocating on a full send ring fails with ERROR_BUFFER_OVERFLOW
/// until the "driver" takes packets (<see cref="TakeSent"/>, or at once with <see cref="AutoDrain"/>);</item>
/// <item>when the adapter goes away (<see cref="RemoveAdapter"/>) receive and allocate fail with ERROR_HANDLE_EOF and the
/// read event is set;</item>
/// <item>no call may use a session after it ended, a session may not end while a thread is inside one of its calls
/// or while an allocated packet is unsent, and an adapter may not close under its live session.</item>
/// </list>
/// Breaking a rule is recorded in <see cref="Violations"/> (and the offending call throws), so every test can assert
/// that none happened.
/// </summary>
internal sealed unsafe class SimulatedWintun : IWintunApi, IDisposable
{
    private const int Alignment = 4;
    private const byte Poison = 0xDD;

    private readonly Lock _lock = new();
    private readonly Dictionary<nint, Adapter> _adapters = [];
    private readonly Dictionary<nint, Session> _sessions = [];
    private readonly List<nint> _allocations = [];
    private readonly List<string> _violations = [];
    private readonly List<string> _calls;
    private nint _nextHandle = 0x1000;

    public SimulatedWintun(List<string>? callLog = null) => _calls = callLog ?? [];

    /// <summary>Rules broken so far.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>Adapter and session calls, in order (not the per-packet ones).</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>When true, the driver takes every sent packet at once (the send ring never fills).</summary>
    public bool AutoDrain { get; set; } = true;

    /// <summary>The error WintunCreateAdapter fails with, if any.</summary>
    public int FailCreateWith { get; set; }

    /// <summary>Runs inside WintunAllocateSendPacket (counted as inside the session), e.g. to hold a writer there.</summary>
    public Action? OnAllocate { get; set; }

    /// <summary>The driver version WintunGetRunningDriverVersion reports.</summary>
    public uint DriverVersion { get; set; } = 0x000E;

    /// <summary>Adds an existing adapter that <see cref="OpenAdapter"/> can find (as if another process created it).</summary>
    public void AddExistingAdapter(string name)
    {
        lock (_lock)
        {
            nint handle = _nextHandle++;
            _adapters[handle] = new Adapter(name, "Other", Guid.NewGuid(), Created: false) { IsTemplate = true, Luid = 0x0006_0000_0500_0000UL | (ulong)handle };
        }
    }

    /// <summary>The adapters this process created or opened and has not closed.</summary>
    public IReadOnlyList<(string Name, string TunnelType, Guid Guid, bool Created)> OpenAdapters
    {
        get
        {
            lock (_lock)
            {
                return [.. _adapters.Values.Where(a => !a.IsTemplate && !a.Closed).Select(a => (a.Name, a.TunnelType, a.Guid, a.Created))];
            }
        }
    }

    /// <summary>The one live session (there is at most one in these tests), or null.</summary>
    public uint? SessionCapacity
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Values.FirstOrDefault(s => !s.Ended)?.Capacity;
            }
        }
    }

    /// <summary>Whether every session that was started has ended.</summary>
    public bool AllSessionsEnded
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Values.All(s => s.Ended);
            }
        }
    }

    /// <summary>Packets handed over but not yet released by the reader.</summary>
    public int OutstandingReceives => WithSession(s => s.Outstanding.Count);

    /// <summary>Packets waiting in the receive ring.</summary>
    public int PendingReceives => WithSession(s => s.Pending.Count);

    /// <summary>Calls of WintunReceivePacket that found the ring empty.</summary>
    public long EmptyReceives => WithSession(s => s.EmptyReceives);

    /// <summary>Sent packets the driver has taken (with <see cref="AutoDrain"/> or <see cref="TakeSent"/>), in send-ring order.</summary>
    public List<byte[]> Delivered { get; } = [];

    /// <summary>The driver puts a packet into the receive ring; false when it does not fit (the driver would drop it).</summary>
    public bool Inject(ReadOnlySpan<byte> packet)
    {
        lock (_lock)
        {
            Session s = LiveSession("Inject");
            int charge = Charge(packet.Length);
            if (s.ReceiveUsed + charge > s.Capacity - Alignment)
            {
                return false;
            }

            byte* memory = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, packet.Length));
            _allocations.Add((nint)memory);
            packet.CopyTo(new Span<byte>(memory, packet.Length));
            s.Pending.Enqueue(((nint)memory, packet.Length));
            s.ReceiveUsed += charge;
            s.ReadEvent.Set();
            return true;
        }
    }

    /// <summary>Consumes a pending signal of the read event (set by every <see cref="Inject"/>), as a reader's wait would.</summary>
    public void ClearReadEvent()
    {
        lock (_lock)
        {
            LiveSession("ClearReadEvent").ReadEvent.Reset();
        }
    }

    /// <summary>The driver takes up to <paramref name="count"/> sent packets from the head of the send ring.</summary>
    public int TakeSent(int count = int.MaxValue)
    {
        lock (_lock)
        {
            Session s = LiveSession("TakeSent");
            return Drain(s, count);
        }
    }

    /// <summary>The adapter goes away (removed in Device Manager, driver stopped): its session reports end of file.</summary>
    public void RemoveAdapter()
    {
        lock (_lock)
        {
            foreach (Session s in _sessions.Values.Where(s => !s.Ended))
            {
                s.Gone = true;
                s.ReadEvent.Set();
            }
        }
    }

    public nint CreateAdapter(string name, string tunnelType, in Guid requestedGuid, out int error)
    {
        lock (_lock)
        {
            _calls.Add($"WintunCreateAdapter({name}, {tunnelType}, {requestedGuid})");
            if (FailCreateWith != 0)
            {
                error = FailCreateWith;
                return 0;
            }

            nint handle = _nextHandle++;
            _adapters[handle] = new Adapter(name, tunnelType, requestedGuid, Created: true) { Luid = 0x0006_0000_0100_0000UL | (ulong)handle };
            error = 0;
            return handle;
        }
    }

    public nint OpenAdapter(string name, out int error)
    {
        lock (_lock)
        {
            _calls.Add($"WintunOpenAdapter({name})");
            Adapter? existing = _adapters.Values.FirstOrDefault(a => (a.IsTemplate || a.Created) && !a.Closed && string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
            if (existing is null)
            {
                error = ERROR_NOT_FOUND;
                return 0;
            }

            nint handle = _nextHandle++;
            _adapters[handle] = new Adapter(existing.Name, existing.TunnelType, existing.Guid, Created: false) { Luid = existing.Luid, Device = existing };
            error = 0;
            return handle;
        }
    }

    public void CloseAdapter(nint adapter)
    {
        lock (_lock)
        {
            _calls.Add("WintunCloseAdapter");
            Adapter a = KnownAdapter(adapter, "WintunCloseAdapter");
            if (a.Closed)
            {
                Violate("WintunCloseAdapter: adapter closed twice");
            }

            if (_sessions.Values.Any(s => !s.Ended && s.Adapter == a))
            {
                Violate("WintunCloseAdapter: adapter closed while its session is alive");
            }

            a.Closed = true;
        }
    }

    public ulong GetAdapterLuid(nint adapter)
    {
        lock (_lock)
        {
            return KnownAdapter(adapter, "WintunGetAdapterLUID").Luid;
        }
    }

    public uint GetRunningDriverVersion(out int error)
    {
        error = DriverVersion == 0 ? ERROR_FILE_NOT_FOUND : 0;
        return DriverVersion;
    }

    public nint StartSession(nint adapter, uint capacity, out int error)
    {
        lock (_lock)
        {
            _calls.Add($"WintunStartSession({capacity})");
            Adapter a = KnownAdapter(adapter, "WintunStartSession");
            Adapter device = a.Device ?? a;
            if (capacity < Interop.Wintun.WINTUN_MIN_RING_CAPACITY || capacity > Interop.Wintun.WINTUN_MAX_RING_CAPACITY || !uint.IsPow2(capacity))
            {
                error = ERROR_INVALID_PARAMETER;
                return 0;
            }

            if (_sessions.Values.Any(s => !s.Ended && (s.Adapter.Device ?? s.Adapter) == device))
            {
                error = ERROR_ALREADY_INITIALIZED;
                return 0;
            }

            nint handle = _nextHandle++;
            _sessions[handle] = new Session(handle, a, capacity);
            error = 0;
            return handle;
        }
    }

    public void EndSession(nint session)
    {
        lock (_lock)
        {
            _calls.Add("WintunEndSession");
            Session s = KnownSession(session, "WintunEndSession");
            if (s.Ended)
            {
                Violate("WintunEndSession: session ended twice");
            }

            if (s.Inside != 0)
            {
                Violate($"WintunEndSession: {s.Inside} thread(s) still inside the session");
            }

            if (s.Sends.Any(p => !p.Sent))
            {
                Violate("WintunEndSession: an allocated send packet was never sent");
            }

            s.Ended = true;
        }
    }

    public WaitHandle GetReadWaitEvent(nint session)
    {
        lock (_lock)
        {
            Session s = Use(session, "WintunGetReadWaitEvent");
            return new BorrowedWaitHandle(s.ReadEvent.SafeWaitHandle.DangerousGetHandle());
        }
    }

    public byte* ReceivePacket(nint session, out uint size, out int error)
    {
        lock (_lock)
        {
            Session s = Use(session, "WintunReceivePacket");
            size = 0;
            if (s.Gone)
            {
                error = ERROR_HANDLE_EOF;
                return null;
            }

            if (!s.Pending.TryDequeue(out var packet))
            {
                s.EmptyReceives++;
                error = ERROR_NO_MORE_ITEMS;
                return null;
            }

            s.Outstanding.Enqueue(packet);
            size = (uint)packet.Size;
            error = 0;
            return (byte*)packet.Memory;
        }
    }

    public void ReleaseReceivePacket(nint session, byte* packet)
    {
        lock (_lock)
        {
            Session s = Use(session, "WintunReleaseReceivePacket");
            if (!s.Outstanding.TryPeek(out var oldest) || oldest.Memory != (nint)packet)
            {
                Violate(s.Outstanding.Any(p => p.Memory == (nint)packet)
                    ? "WintunReleaseReceivePacket: released out of receive order"
                    : "WintunReleaseReceivePacket: not a packet this session handed out");
                return;
            }

            s.Outstanding.Dequeue();
            new Span<byte>(packet, oldest.Size).Fill(Poison);
            s.ReceiveUsed -= Charge(oldest.Size);
        }
    }

    public byte* AllocateSendPacket(nint session, uint size, out int error)
    {
        Session s;
        lock (_lock)
        {
            s = Use(session, "WintunAllocateSendPacket");
            s.Inside++;
        }

        try
        {
            OnAllocate?.Invoke();
            lock (_lock)
            {
                if (s.Ended)
                {
                    Violate("WintunAllocateSendPacket: the session ended under this call");
                }

                if (size > Interop.Wintun.WINTUN_MAX_IP_PACKET_SIZE)
                {
                    Violate($"WintunAllocateSendPacket: {size} bytes is more than WINTUN_MAX_IP_PACKET_SIZE");
                }

                if (s.Gone)
                {
                    error = ERROR_HANDLE_EOF;
                    return null;
                }

                int charge = Charge((int)size);
                if (s.SendUsed + charge > s.Capacity - Alignment)
                {
                    error = ERROR_BUFFER_OVERFLOW;
                    return null;
                }

                byte* memory = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, size));
                _allocations.Add((nint)memory);
                s.Sends.Add(new SendSlot((nint)memory, (int)size));
                s.SendUsed += charge;
                error = 0;
                return memory;
            }
        }
        finally
        {
            lock (_lock)
            {
                s.Inside--;
            }
        }
    }

    public void SendPacket(nint session, byte* packet)
    {
        lock (_lock)
        {
            Session s = Use(session, "WintunSendPacket");
            SendSlot? slot = s.Sends.FirstOrDefault(p => p.Memory == (nint)packet && !p.Sent);
            if (slot is null)
            {
                Violate("WintunSendPacket: not a packet allocated on this session");
                return;
            }

            slot.Sent = true;
            if (AutoDrain)
            {
                Drain(s, int.MaxValue);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (nint memory in _allocations)
            {
                NativeMemory.Free((void*)memory);
            }

            _allocations.Clear();
            foreach (Session s in _sessions.Values)
            {
                s.ReadEvent.Dispose();
            }
        }
    }

    private static int Charge(int size) => (4 + size + Alignment - 1) & ~(Alignment - 1);

    private int Drain(Session s, int count)
    {
        int taken = 0;
        while (taken < count && s.Sends.Count > 0 && s.Sends[0].Sent)
        {
            SendSlot slot = s.Sends[0];
            s.Sends.RemoveAt(0);
            Delivered.Add(new ReadOnlySpan<byte>((void*)slot.Memory, slot.Size).ToArray());
            s.SendUsed -= Charge(slot.Size);
            taken++;
        }

        return taken;
    }

    private T WithSession<T>(Func<Session, T> read)
    {
        lock (_lock)
        {
            return read(LiveSession("inspect"));
        }
    }

    private Session LiveSession(string what) =>
        _sessions.Values.LastOrDefault(s => !s.Ended) ?? throw new InvalidOperationException($"{what}: no live session");

    private Session Use(nint session, string call)
    {
        Session s = KnownSession(session, call);
        if (s.Ended)
        {
            Violate($"{call}: called after the session ended");
        }

        return s;
    }

    private Session KnownSession(nint session, string call) =>
        _sessions.TryGetValue(session, out Session? s) ? s : throw Violate($"{call}: 0x{session:x} is not a session handle");

    private Adapter KnownAdapter(nint adapter, string call) =>
        _adapters.TryGetValue(adapter, out Adapter? a) && !a.IsTemplate ? a : throw Violate($"{call}: 0x{adapter:x} is not an adapter handle");

    private InvalidOperationException Violate(string rule)
    {
        _violations.Add(rule);
        throw new InvalidOperationException("Wintun rule broken: " + rule);
    }

    private sealed record Adapter(string Name, string TunnelType, Guid Guid, bool Created)
    {
        public bool IsTemplate { get; init; }

        public ulong Luid { get; init; }

        /// <summary>For an opened adapter, the device it refers to.</summary>
        public Adapter? Device { get; init; }

        public bool Closed { get; set; }
    }

    private sealed class Session(nint handle, Adapter adapter, uint capacity)
    {
        public nint Handle { get; } = handle;

        public Adapter Adapter { get; } = adapter;

        public uint Capacity { get; } = capacity;

        public AutoResetEvent ReadEvent { get; } = new(false);

        public Queue<(nint Memory, int Size)> Pending { get; } = new();

        public Queue<(nint Memory, int Size)> Outstanding { get; } = new();

        public List<SendSlot> Sends { get; } = [];

        public long ReceiveUsed { get; set; }

        public long SendUsed { get; set; }

        public long EmptyReceives { get; set; }

        public int Inside { get; set; }

        public bool Gone { get; set; }

        public bool Ended { get; set; }
    }

    private sealed class SendSlot(nint memory, int size)
    {
        public nint Memory { get; } = memory;

        public int Size { get; } = size;

        public bool Sent { get; set; }
    }
}
