using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Linux;
using RouterHost.Netlink;
using RouterHost.Settings;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// Resolves the MACs an AF_XDP interface sends to, off the data path, on a thread of its own: it takes the transmit
/// paths' requests (<see cref="NeighbourTable.Requests"/>), reads the kernel's neighbour table over rtnetlink and,
/// for what the kernel does not know, asks the kernel to resolve it (RTM_NEWNEIGH with NTF_USE: the kernel sends
/// the ARP request or neighbour solicitation itself, and the answer reaches it because the XDP program passes ARP
/// and neighbour discovery to the kernel). It polls a pending neighbour with back-off (5 ms doubling to 200 ms) until
/// it resolves or the resolve timeout passes. Every refresh interval it confirms the neighbours packets used
/// (NTF_USE again: a stale entry is re-probed, as the kernel's own traffic would) and picks up changed MACs;
/// directly connected destinations unused for the idle time are forgotten. Gateways of the router's routes that are
/// on this device's prefixes (not link-local ones, which name no link by themselves) are resolved as soon as they
/// appear, so routed traffic does not lose its first packets.
/// <see cref="Step"/> is one pass, so tests drive it with a fake clock and a fake kernel.
/// </summary>
internal sealed partial class NeighbourResolver : IDisposable
{
    private const long FirstCheckMilliseconds = 5;
    private const long MaxCheckMilliseconds = 200;

    private readonly NeighbourTable _table;
    private readonly INextHopTable? _nextHops;
    private readonly INeighbourSource _source;
    private readonly NeighbourOptions _options;
    private readonly ILogger _logger;
    private readonly string _device;
    private readonly Dictionary<(byte Family, UInt128 Address), Tracked> _tracked = [];
    private readonly HashSet<int> _unknownIds = [];
    private readonly EventFd _stop = new();
    private IpPrefix[] _onLink = [];
    private int _knownNextHops;
    private long _nextRefresh;
    private bool _directChanged;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _errors;

    public NeighbourResolver(NeighbourTable table, INextHopTable? nextHops, INeighbourSource source, NeighbourOptions options, string device, ILogger logger)
    {
        _table = table;
        _nextHops = nextHops;
        _source = source;
        _options = options;
        _device = device;
        _logger = logger;
    }

    /// <summary>Neighbours resolved (or re-resolved with a new MAC).</summary>
    public long Resolutions { get; private set; }

    /// <summary>Neighbours that failed to resolve.</summary>
    public long Failures { get; private set; }

    /// <summary>Neighbours tracked now (next hops and directly connected destinations).</summary>
    public int TrackedCount => _tracked.Count;

    /// <summary>Starts the resolver's thread.</summary>
    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"rh {_device} neighbours" };
        _thread.Start();
    }

    /// <summary>
    /// One pass at time <paramref name="now"/> (milliseconds): requests, due checks of pending neighbours, the refresh
    /// when due. Returns how long until it wants the next pass.
    /// </summary>
    public long Step(long now)
    {
        if (_nextRefresh == 0)
        {
            ReadLocalPrefixes();
            _nextRefresh = now + _options.RefreshMilliseconds;
        }

        _table.ClearSignal();
        while (_table.Requests.TryDequeue(out NeighbourRequest request))
        {
            Handle(request, now);
        }

        ResolveNewGateways(now);
        long next = _nextRefresh;
        foreach (Tracked t in _tracked.Values.ToArray())
        {
            if (t.Status == NeighbourStatus.Pending)
            {
                if (now >= t.NextCheck)
                {
                    Check(t, now);
                }

                if (t.Status == NeighbourStatus.Pending)
                {
                    next = Math.Min(next, t.NextCheck);
                }
            }
        }

        if (now >= _nextRefresh)
        {
            Refresh(now);
            _nextRefresh = now + _options.RefreshMilliseconds;
            next = Math.Min(next, _nextRefresh);
        }

        if (_directChanged)
        {
            _directChanged = false;
            var direct = new List<NeighbourEntry>();
            foreach (Tracked t in _tracked.Values)
            {
                if (t.Direct)
                {
                    direct.Add(t.Entry);
                }
            }

            _table.PublishDirect(direct);
        }

        return Math.Max(0, next - now);
    }

    public void Dispose()
    {
        _stopping = true;
        _stop.Signal();
        _thread?.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        int wakeup = _table.Wakeup.Handle.Fd;
        int stop = _stop.Handle.Fd;
        unsafe
        {
            pollfd* fds = stackalloc pollfd[2];
            ulong drained;
            while (!_stopping)
            {
                long wait;
                try
                {
                    wait = Step(Environment.TickCount64);
                }
                catch (Exception ex)
                {
                    // A control-plane thread: whatever went wrong, the data path keeps its last answers and this tries again.
                    LogError(ex);
                    wait = 100;
                }

                fds[0] = new pollfd { fd = wakeup, events = POLLIN };
                fds[1] = new pollfd { fd = stop, events = POLLIN };
                _ = poll(fds, 2, (int)Math.Clamp(wait, 1, _options.RefreshMilliseconds));
                if ((fds[0].revents & POLLIN) != 0)
                {
                    _ = read(_table.Wakeup.Handle, (byte*)&drained, sizeof(ulong));
                }
            }
        }
    }

    private void Handle(in NeighbourRequest request, long now)
    {
        Tracked? t;
        if (request.NextHop != 0)
        {
            Span<byte> bytes = stackalloc byte[16];
            int length = _nextHops?.CopyAddress(request.NextHop, bytes) ?? 0;
            if (length == 0)
            {
                if (_unknownIds.Add(request.NextHop))
                {
                    _table.PublishNextHop(request.NextHop, new NeighbourEntry(0, 0, 0, NeighbourStatus.Unknown, now));
                }

                return;
            }

            (byte family, UInt128 address) = Key(bytes[..length]);
            t = Track(family, address, now, out bool created);
            if (!t.NextHops.Contains(request.NextHop))
            {
                t.NextHops.Add(request.NextHop);
                _table.PublishNextHop(request.NextHop, t.Entry);
            }

            if (created)
            {
                return;
            }
        }
        else
        {
            t = Track(request.Family, request.Address, now, out bool created);
            if (!t.Direct)
            {
                MakeRoomForDirect(t);
                t.Direct = true;
                _directChanged = true;
            }

            if (created)
            {
                return;
            }
        }

        t.LastUsed = now;
        if (t.Status == NeighbourStatus.Failed && now - t.Entry.Since >= _options.FailedRetryMilliseconds)
        {
            Begin(t, now);
        }
    }

    private Tracked Track(byte family, UInt128 address, long now, out bool created)
    {
        if (_tracked.TryGetValue((family, address), out Tracked? t))
        {
            created = false;
            return t;
        }

        t = new Tracked(family, address, ToAddress(family, address)) { LastUsed = now };
        _tracked.Add((family, address), t);
        created = true;
        Begin(t, now);
        return t;
    }

    /// <summary>Reads the kernel's entry; when it has no usable one, asks it to resolve and waits (pending).</summary>
    private void Begin(Tracked t, long now)
    {
        try
        {
            NeighbourInfo? info = _source.Get(t.Address);
            if (info is { IsResolved: true })
            {
                Resolved(t, EthernetFrame.ToMac(info.LinkLayerAddress!.GetAddressBytes()), now);
                return;
            }

            _source.Solicit(t.Address);
        }
        catch (Exception ex) when (ex is NetlinkException or IOException or MalformedNetlinkMessageException or ArgumentException)
        {
            LogError(ex);
            Failed(t, now);
            return;
        }

        t.Status = NeighbourStatus.Pending;
        t.Deadline = now + _options.ResolveTimeoutMilliseconds;
        t.CheckInterval = FirstCheckMilliseconds;
        t.NextCheck = now + FirstCheckMilliseconds;
        Publish(t, now);
    }

    private void Check(Tracked t, long now)
    {
        NeighbourInfo? info;
        try
        {
            info = _source.Get(t.Address);
        }
        catch (Exception ex) when (ex is NetlinkException or IOException or MalformedNetlinkMessageException)
        {
            LogError(ex);
            info = null;
        }

        if (info is { IsResolved: true })
        {
            Resolved(t, EthernetFrame.ToMac(info.LinkLayerAddress!.GetAddressBytes()), now);
        }
        else if (now >= t.Deadline)
        {
            Failed(t, now);
        }
        else
        {
            t.CheckInterval = Math.Min(t.CheckInterval * 2, MaxCheckMilliseconds);
            t.NextCheck = Math.Min(now + t.CheckInterval, t.Deadline);
        }
    }

    private void Refresh(long now)
    {
        ReadLocalPrefixes();
        foreach (Tracked t in _tracked.Values.ToArray())
        {
            bool used = t.Entry.Used != 0;
            t.Entry.Used = 0;
            if (used)
            {
                t.LastUsed = now;
            }

            if (t.Status == NeighbourStatus.Resolved && used)
            {
                try
                {
                    _source.Solicit(t.Address);
                    NeighbourInfo? info = _source.Get(t.Address);
                    if (info is { IsResolved: true })
                    {
                        ulong mac = EthernetFrame.ToMac(info.LinkLayerAddress!.GetAddressBytes());
                        if (mac != t.Mac)
                        {
                            Resolved(t, mac, now);
                        }
                    }
                    else if (info is null || info.State == NeighbourState.Failed)
                    {
                        Failed(t, now);
                    }
                }
                catch (Exception ex) when (ex is NetlinkException or IOException or MalformedNetlinkMessageException)
                {
                    LogError(ex);
                }
            }

            if (t.Direct && now - t.LastUsed >= _options.IdleMilliseconds)
            {
                t.Direct = false;
                _directChanged = true;
                if (t.NextHops.Count == 0)
                {
                    _tracked.Remove((t.Family, t.Bits));
                }
            }
        }
    }

    private void ResolveNewGateways(long now)
    {
        int count = _nextHops?.Count ?? 0;
        if (count <= _knownNextHops)
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[16];
        for (int id = _knownNextHops + 1; id <= count; id++)
        {
            int length = _nextHops!.CopyAddress(id, bytes);
            if (length != 0 && IsOnLink(bytes[..length]))
            {
                (byte family, UInt128 address) = Key(bytes[..length]);
                Handle(new NeighbourRequest(id, family, address), now);
            }
        }

        _knownNextHops = count;
    }

    private bool IsOnLink(ReadOnlySpan<byte> address)
    {
        // A link-local gateway names no link by itself (every IPv6 device has fe80::/64): it is resolved when used.
        var candidate = new IPAddress(address);
        if (candidate.IsIPv6LinkLocal)
        {
            return false;
        }

        foreach (IpPrefix prefix in _onLink)
        {
            if (prefix.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private void ReadLocalPrefixes()
    {
        try
        {
            IReadOnlyList<(IPAddress Address, int PrefixLength)> local = _source.LocalPrefixes();
            var onLink = new IpPrefix[local.Count];
            for (int i = 0; i < onLink.Length; i++)
            {
                onLink[i] = IpPrefix.Containing(local[i].Address, local[i].PrefixLength);
            }

            _onLink = onLink;
        }
        catch (Exception ex) when (ex is NetlinkException or IOException or MalformedNetlinkMessageException)
        {
            LogError(ex);
        }
    }

    private void MakeRoomForDirect(Tracked incoming)
    {
        int direct = 0;
        Tracked? oldest = null;
        foreach (Tracked t in _tracked.Values)
        {
            if (t.Direct && !ReferenceEquals(t, incoming))
            {
                direct++;
                if (oldest is null || t.LastUsed < oldest.LastUsed)
                {
                    oldest = t;
                }
            }
        }

        if (direct >= _table.DirectCapacity && oldest is not null)
        {
            oldest.Direct = false;
            if (oldest.NextHops.Count == 0)
            {
                _tracked.Remove((oldest.Family, oldest.Bits));
            }
        }
    }

    private void Resolved(Tracked t, ulong mac, long now)
    {
        t.Status = NeighbourStatus.Resolved;
        t.Mac = mac;
        Resolutions++;
        Publish(t, now);
        Log.Resolved(_logger, _device, t.Address, EthernetFrame.Format(mac));
    }

    private void Failed(Tracked t, long now)
    {
        t.Status = NeighbourStatus.Failed;
        Failures++;
        Publish(t, now);
        Log.Failed(_logger, _device, t.Address, _options.ResolveTimeoutMilliseconds);
    }

    private void Publish(Tracked t, long now)
    {
        t.Entry = new NeighbourEntry(t.Family, t.Bits, t.Mac, t.Status, now);
        foreach (int id in t.NextHops)
        {
            _table.PublishNextHop(id, t.Entry);
        }

        if (t.Direct)
        {
            _directChanged = true;
        }
    }

    private void LogError(Exception ex)
    {
        if ((_errors++ & 1023) == 0)
        {
            Log.NetlinkFailed(_logger, ex, _device, _errors);
        }
    }

    private static (byte Family, UInt128 Address) Key(ReadOnlySpan<byte> bytes) =>
        bytes.Length == 4 ? ((byte)4, (UInt128)BinaryPrimitives.ReadUInt32BigEndian(bytes)) : ((byte)6, BinaryPrimitives.ReadUInt128BigEndian(bytes));

    private static IPAddress ToAddress(byte family, UInt128 address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (family == 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)address);
            return new IPAddress(bytes[..4]);
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    private sealed class Tracked(byte family, UInt128 bits, IPAddress address)
    {
        public byte Family { get; } = family;

        public UInt128 Bits { get; } = bits;

        public IPAddress Address { get; } = address;

        public List<int> NextHops { get; } = [];

        public bool Direct { get; set; }

        public NeighbourStatus Status { get; set; } = NeighbourStatus.Pending;

        public ulong Mac { get; set; }

        public long Deadline { get; set; }

        public long NextCheck { get; set; }

        public long CheckInterval { get; set; }

        public long LastUsed { get; set; }

        public NeighbourEntry Entry { get; set; } = new(family, bits, 0, NeighbourStatus.Pending, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 320, Level = LogLevel.Debug, Message = "{Device}: neighbour {Address} is at {Mac}")]
        public static partial void Resolved(ILogger logger, string device, IPAddress address, string mac);

        [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "{Device}: neighbour {Address} did not resolve within {Timeout} ms; packets to it are dropped (afxdp.tx.neighbour_failed) and it is asked for again when used")]
        public static partial void Failed(ILogger logger, string device, IPAddress address, long timeout);

        [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "{Device}: reading or changing the kernel's neighbour table failed ({Count} errors so far; logged every 1024)")]
        public static partial void NetlinkFailed(ILogger logger, Exception exception, string device, long count);
    }
}
