using System.Net;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Abstractions.Routing;
using RouterHost.Linux;
using RouterHost.Netlink;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// An Ethernet device as a router interface through AF_XDP: one socket (with its own UMEM and rings) per configured
/// queue, one XSKMAP, our XDP program attached through a BPF link, and a neighbour resolver. Built in the device's
/// network namespace; on dispose everything is released in order — resolver, link (the program leaves the device),
/// sockets and their mappings, program, map — and the addresses this run added are removed. Because the program is
/// held only by the link's descriptor, the kernel removes it also when the process dies without disposing.
/// </summary>
internal sealed partial class AfXdpContainer : IContainer, IInterfaceLinkProvider
{
    private const ushort ARPHRD_ETHER = 1;

    private readonly List<AfXdpQueue> _queues = [];
    private readonly AfXdpSettings _settings;
    private readonly ILogger _logger;
    private RtnetlinkClient? _netlink;
    private DeviceConfiguration? _configuration;
    private SafeFileDescriptor? _map;
    private SafeFileDescriptor? _program;
    private SafeFileDescriptor? _link;
    private NeighbourTable? _neighbours;
    private NeighbourResolver? _resolver;
    private int _disposed;

    private AfXdpContainer(string name, AfXdpSettings settings, ILogger logger)
    {
        Name = name;
        _settings = settings;
        _logger = logger;
    }

    public string Name { get; }

    /// <inheritdoc />
    public InterfaceLink Link => _settings.Link(Mtu);

    public string DeviceName => _settings.Device;

    public int InterfaceIndex { get; private set; }

    public ulong MacAddress { get; private set; }

    public int Mtu { get; private set; }

    /// <summary>Whether the program runs in the driver (native XDP) rather than generic (SKB) mode.</summary>
    public bool NativeXdp { get; private set; }

    public IReadOnlyList<IQueue> Queues => _queues;

    public IReadOnlyList<AfXdpQueue> XdpQueues => _queues;

    public NeighbourTable Neighbours => _neighbours!;

    public NeighbourResolver Resolver => _resolver!;

    public static AfXdpContainer Create(string interfaceName, AfXdpSettings settings, int batchSize, INextHopTable? nextHops, ILoggerFactory loggerFactory) =>
        NetworkNamespaceThread.Run(settings.Namespace, () => CreateHere(interfaceName, settings, batchSize, nextHops, loggerFactory));

    public void Close()
    {
        foreach (AfXdpQueue queue in _queues)
        {
            queue.Close();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        if (_resolver is not null)
        {
            AfXdpMetrics.Remove(_resolver);
            _resolver.Dispose();
        }

        if (_link is not null)
        {
            XdpLink.Detach(_link);
            _link.Dispose();
        }

        foreach (AfXdpQueue queue in _queues)
        {
            AfXdpMetrics.Remove(queue);
            queue.Dispose();
        }

        _program?.Dispose();
        _map?.Dispose();
        _neighbours?.Dispose();
        RemoveAddedAddresses();
        _netlink?.Dispose();
        Log.Closed(_logger, Name, _settings.Device);
    }

    private static AfXdpContainer CreateHere(string interfaceName, AfXdpSettings settings, int batchSize, INextHopTable? nextHops, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger<AfXdpContainer>();
        var container = new AfXdpContainer(interfaceName, settings, logger);
        try
        {
            container.Open(batchSize, nextHops);
            return container;
        }
        catch
        {
            container.Dispose();
            throw;
        }
    }

    private void Open(int batchSize, INextHopTable? nextHops)
    {
        string device = _settings.Device;
        _netlink = new RtnetlinkClient();
        LinkInfo link = _netlink.FindLink(device)
            ?? throw new InvalidOperationException($"interface '{Name}': there is no device '{device}' in {NamespaceName()}");
        if (link.DeviceType != ARPHRD_ETHER || link.HardwareAddress is null)
        {
            throw new InvalidOperationException($"interface '{Name}': '{device}' is not an Ethernet device (ARPHRD type {link.DeviceType}); the AfXdp backend frames packets as Ethernet");
        }

        InterfaceIndex = link.Index;
        MacAddress = EthernetFrame.ToMac(link.HardwareAddress.GetAddressBytes());
        ConfigureLink(link);

        IReadOnlyList<uint> queueIds = _settings.QueueIds ?? AllQueues(device);
        int entries = (int)queueIds.Max() + 1;
        _map = XskMap.Create(entries, device);
        _program = XdpProgram.Load(_map, device);
        NeighbourOptions neighbourOptions = _settings.Neighbours;
        _neighbours = new NeighbourTable(neighbourOptions.CacheSize, neighbourOptions.FailedRetryMilliseconds);
        foreach (uint queueId in queueIds)
        {
            XskSocket socket = XskSocket.Open(InterfaceIndex, queueId, _settings.SocketOptions, device);
            AfXdpQueue queue;
            try
            {
                XskMap.Set(_map, queueId, socket.Fd, device);
                queue = new AfXdpQueue(socket, _queues.Count, queueId, device, MacAddress, Mtu, batchSize, _neighbours);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _queues.Add(queue);
            AfXdpMetrics.Add(Name, queue);
        }

        _link = XdpLink.Attach(_program, InterfaceIndex, _settings.XdpMode, device, out bool native);
        NativeXdp = native;
        _resolver = new NeighbourResolver(_neighbours, nextHops, new NetlinkNeighbourSource(_netlink, InterfaceIndex), neighbourOptions, device, _logger);
        AfXdpMetrics.Add(Name, _resolver);
        _resolver.Start();

        XskSocket first = _queues[0].Socket;
        Log.Opened(
            _logger, Name, device, InterfaceIndex, EthernetFrame.Format(MacAddress), NamespaceName(), string.Join(",", queueIds),
            native ? "native" : "generic", first.ZeroCopy ? "zero-copy" : "copy", first.NeedWakeup ? " with need-wakeup" : string.Empty,
            _settings.FrameSize, _settings.Layout.TotalFrames, Mtu);
        if (nextHops is null)
        {
            Log.NoNextHops(_logger, Name);
        }
    }

    private void ConfigureLink(LinkInfo link)
    {
        string device = _settings.Device;
        if (_settings.Mtu is { } mtu && mtu != link.Mtu)
        {
            _netlink!.SetMtu(InterfaceIndex, mtu);
        }

        Mtu = _settings.Mtu ?? link.Mtu;
        if (Mtu > _settings.MaxMtu)
        {
            throw new InvalidOperationException(
                $"interface '{Name}': '{device}' has MTU {Mtu}, but a {_settings.FrameSize}-byte frame carries at most an MTU of {_settings.MaxMtu} "
                + $"({_settings.FrameSize} − {Interop.Xsk.XDP_PACKET_HEADROOM} XDP headroom − {_settings.Headroom} Headroom − 14 Ethernet): set Mtu to {_settings.MaxMtu} or less, or FrameSize 4096");
        }

        // Addresses a killed run left carry RouterHost's mark: adopted (removed at close) or removed now.
        _configuration = new DeviceConfiguration(InterfaceIndex);
        LogChanges(_configuration.ApplyAddresses(_netlink!, _settings.Addresses.Select(a => (a.Address, a.PrefixLength))));

        if (!link.IsUp)
        {
            _netlink!.SetLinkUp(InterfaceIndex, true);
        }
    }

    private List<uint> AllQueues(string device)
    {
        int? count = DeviceChannels.ReceiveQueues(device);
        if (count is null)
        {
            Log.NoChannels(_logger, Name, device);
        }

        var ids = new List<uint>();
        for (uint id = 0; id < (uint)(count ?? 1); id++)
        {
            ids.Add(id);
        }

        return ids;
    }

    private void LogChanges(IReadOnlyList<ConfigurationChange> changes) => DeviceConfigurationLog.Changes(_logger, changes, _settings.Device);

    private void RemoveAddedAddresses()
    {
        if (_netlink is null || _configuration is null || _configuration.Addresses.Count == 0)
        {
            return;
        }

        try
        {
            LogChanges(_configuration.Remove(_netlink));
        }
        catch (Exception ex) when (ex is NetlinkException or IOException or ObjectDisposedException)
        {
            Log.UnconfigureFailed(_logger, ex, _settings.Device);
        }
    }

    private string NamespaceName() => _settings.Namespace is null ? "this process's network namespace" : $"network namespace '{_settings.Namespace}'";

    private static partial class Log
    {
        // More than six placeholders: the generator's own state type names each value after its parameter, so a
        // verbatim parameter (@interface) would name it "@interface" and the placeholder would print unfilled.
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Interface {Interface}: AF_XDP on {Device} (ifindex {Index}, {Mac}) in {Namespace}: queues {Queues}, XDP program in {XdpMode} mode, sockets in {BindMode} mode{NeedWakeup}, frames of {FrameSize} bytes ({Frames} per queue), MTU {Mtu}")]
        public static partial void Opened(ILogger logger, string Interface, string device, int index, string mac, string Namespace, string queues, string xdpMode, string bindMode, string needWakeup, int frameSize, int frames, int mtu);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Interface {Interface}: AF_XDP on {Device} closed; its XDP program is detached")]
        public static partial void Closed(ILogger logger, string @interface, string device);

        [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Interface {Interface}: '{Device}' does not report its channels (ETHTOOL_GCHANNELS); using queue 0 only — set QueueIds if it has more, or frames on the others reach the kernel instead of RouterHost")]
        public static partial void NoChannels(ILogger logger, string @interface, string device);

        [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Interface {Interface}: no routing stage published next hops; packets routed via a gateway cannot be addressed to it and are dropped (afxdp.tx.unknown_next_hop)")]
        public static partial void NoNextHops(ILogger logger, string @interface);

        [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Could not remove the addresses added to {Device}")]
        public static partial void UnconfigureFailed(ILogger logger, Exception exception, string device);
    }
}
