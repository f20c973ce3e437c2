using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Abstractions.Routing;
using RouterHost.Abstractions.Status;
using RouterHost.Linux;
using RouterHost.Netlink;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// A TUN device as a router interface: opens one fd per queue, negotiates offloads, configures the link over
/// rtnetlink (MTU, addresses, up, routes) and, on dispose, removes the addresses and routes it added before
/// closing its queues in order. A non-persistent device disappears with its last fd; a persistent one
/// (<c>Persist: true</c>) stays, without what this run added to it — or adopted from a run that was killed (see
/// <see cref="DeviceConfiguration"/>). Reports the kernel's own counters of the device
/// since this run opened it (<c>routerhost show</c>), so packets the kernel dropped before RouterHost could read them
/// (the device's tx_dropped: its queue was full) are seen, and logs them at close.
/// </summary>
internal sealed partial class TunContainer : IContainer, IFileDescriptorAdopter, IStatusReporter, IInterfaceLinkProvider, IHostRouteTarget
{
    private readonly List<TunQueue> _queues = [];
    private DeviceConfiguration? _configuration;
    private readonly FullTunnelRules _rules = new();
    private readonly Lock _routesLock = new();
    private readonly TunSettings _settings;
    private readonly int _batchSize;
    private readonly ILogger _logger;
    private LinkStatistics? _countersAtOpen;
    private int _disposed;

    private TunContainer(string name, string deviceName, TunSettings settings, int batchSize, ILogger logger)
    {
        Name = name;
        DeviceName = deviceName;
        _settings = settings;
        _batchSize = batchSize;
        _logger = logger;
    }

    public string Name { get; }

    /// <inheritdoc />
    public InterfaceLink Link => _settings.Link;

    /// <summary>The kernel's name for the device.</summary>
    public string DeviceName { get; }

    public int InterfaceIndex { get; private set; }

    /// <inheritdoc />
    public string HostRouteDevice => $"TUN device {DeviceName}{(_settings.Namespace is { } ns ? $" (namespace {ns})" : string.Empty)}";

    /// <summary>
    /// Keeps the peers' prefixes as kernel routes on the device (proto 210, main table), and a full tunnel's default
    /// route in the table named by its mark with wg-quick's policy rules; replaces what the previous call set. Runs in
    /// the device's namespace, on the caller's (control plane) thread's behalf.
    /// </summary>
    public void SetHostRoutes(HostRoutes routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_routesLock)
        {
            NetworkNamespaceThread.Run(_settings.Namespace, () =>
            {
                using var netlink = new RtnetlinkClient();
                var families = new List<System.Net.Sockets.AddressFamily>();
                foreach (IPNetwork prefix in routes.Prefixes)
                {
                    if (prefix.PrefixLength == 0 && routes.FullTunnelMark != 0)
                    {
                        families.Add(prefix.BaseAddress.AddressFamily);
                    }
                }

                LogChanges(_configuration!.ApplyRoutes(netlink, WantedRoutes(routes)));
                LogChanges(_rules.Apply(netlink, families, routes.FullTunnelMark));
            });
        }
    }

    private IEnumerable<DeviceRoute> WantedRoutes(HostRoutes host)
    {
        foreach (TunRoute route in _settings.Routes)
        {
            yield return new DeviceRoute(route.Destination, route.PrefixLength, route.Via, route.Metric);
        }

        foreach (IPNetwork prefix in host.Prefixes)
        {
            yield return prefix.PrefixLength == 0 && host.FullTunnelMark != 0
                ? new DeviceRoute(prefix.BaseAddress, 0, Table: (int)host.FullTunnelMark)
                : new DeviceRoute(prefix.BaseAddress, prefix.PrefixLength);
        }
    }

    public TunOffloads Offloads { get; private set; }

    public IReadOnlyList<IQueue> Queues => _queues;

    public static TunContainer Create(string interfaceName, TunSettings settings, int batchSize, ILoggerFactory loggerFactory) =>
        NetworkNamespaceThread.Run(settings.Namespace, () => CreateHere(interfaceName, settings, batchSize, loggerFactory));

    private static TunContainer CreateHere(string interfaceName, TunSettings settings, int batchSize, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger<TunContainer>();
        bool multiQueue = settings.Queues > 1;
        SafeFileDescriptor first = TunDevice.OpenQueue(settings.DeviceName, settings.OffloadsEnabled, multiQueue, out string deviceName);
        TunContainer? container = null;
        try
        {
            TunOffloads offloads = settings.OffloadsEnabled
                ? TunDevice.NegotiateOffloads(first, settings.Tso, settings.Uso)
                : new TunOffloads(false, 0);
            container = new TunContainer(interfaceName, deviceName, settings, batchSize, logger) { Offloads = offloads };
            container.AddQueue(first);
            first = null!;
            for (int i = 1; i < settings.Queues; i++)
            {
                container.AddQueue(TunDevice.OpenQueue(deviceName, settings.OffloadsEnabled, multiQueue, out _));
            }

            if (multiQueue)
            {
                container.SteerFlows(logger);
            }

            if (settings.Persist)
            {
                TunDevice.SetPersist((SafeFileDescriptor)container._queues[0].Handle, true, deviceName);
            }

            container.Configure();
            Log.Opened(logger, interfaceName, deviceName, container.InterfaceIndex, settings.Namespace ?? "(this process's)", settings.Queues, settings.Mtu);
            Log.Offloads(logger, interfaceName, offloads.ToString(), container._queues[0].Coalescing ? "on" : "off");
            return container;
        }
        catch
        {
            first?.Dispose();
            container?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Spreads outgoing flows over the queues by their hash (<see cref="TunSteering"/>), so one peer's flows reach every
    /// lane; a kernel that refuses keeps its own choice (the queue a flow's replies came through), logged once.
    /// </summary>
    private void SteerFlows(ILogger logger)
    {
        try
        {
            TunSteering.Attach((SafeFileDescriptor)_queues[0].Handle, DeviceName);
            FlowSteering = true;
            Log.Steering(logger, Name, DeviceName);
        }
        catch (LinuxException ex)
        {
            Log.NoSteering(logger, Name, DeviceName, ex.Message);
        }
    }

    /// <summary>Whether the kernel took the flow steering program (multi-queue devices only).</summary>
    public bool FlowSteering { get; private set; }

    /// <summary>
    /// Adopts another queue fd of this very device (a TUN fd with IFF_NO_PI, and IFF_VNET_HDR exactly when this
    /// interface's queues have it) as the next queue and makes it non-blocking; refuses any other fd, naming it.
    /// </summary>
    public IQueue Adopt(SafeHandle fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var owned = fd as SafeFileDescriptor ?? new SafeFileDescriptor((int)fd.DangerousGetHandle());
        if (!ReferenceEquals(owned, fd))
        {
            // The container owns the descriptor now; the caller's handle must not close it too.
            fd.SetHandleAsInvalid();
        }

        try
        {
            var (name, flags) = TunDevice.GetInterface(owned);
            bool vnet = (flags & Interop.Tun.IFF_VNET_HDR) != 0;
            if (name != DeviceName || (flags & Interop.Tun.IFF_TUN) == 0 || (flags & Interop.Tun.IFF_NO_PI) == 0)
            {
                throw new InvalidOperationException($"the adopted fd is '{name}' with flags 0x{flags:x}; expected a TUN fd of '{DeviceName}' with IFF_TUN|IFF_NO_PI");
            }

            if (vnet != Offloads.VnetHeader)
            {
                throw new InvalidOperationException($"the adopted fd of '{DeviceName}' {(vnet ? "has" : "lacks")} IFF_VNET_HDR, unlike this interface's queues");
            }

            TunDevice.SetNonBlocking(owned);
            return AddQueue(owned);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    public void Close()
    {
        foreach (TunQueue queue in _queues)
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
        NetworkNamespaceThread.Run(_settings.Namespace, () =>
        {
            LogKernelDrops();
            Unconfigure();
        });
        foreach (TunQueue queue in _queues)
        {
            TunMetrics.Remove(queue);
            queue.Dispose();
        }

        Log.Closed(_logger, Name, DeviceName, _settings.Persist);
    }

    /// <summary>
    /// The device (name, ifindex, txqueuelen) and the kernel's counters of it since this run opened it: what the kernel
    /// passed towards RouterHost (the device's tx side) and what it took from RouterHost (the rx side), each with the
    /// packets it dropped. Read over rtnetlink in the device's namespace, on the control plane.
    /// </summary>
    public void WriteStatus(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        LinkInfo? link = NetworkNamespaceThread.Run(_settings.Namespace, ReadLink);
        writer.WriteStartObject();
        writer.WriteString("device", DeviceName);
        writer.WriteBoolean("device_present", link is not null);
        writer.WriteNumber("ifindex", InterfaceIndex);
        if (link?.TransmitQueueLength is uint queueLength)
        {
            writer.WriteNumber("txqueuelen", queueLength);
        }

        if (link?.Statistics is LinkStatistics now)
        {
            LinkStatistics since = Since(now);
            writer.WriteStartObject("kernel_to_router");
            writer.WriteNumber("packets", since.TxPackets);
            writer.WriteNumber("bytes", since.TxBytes);
            writer.WriteNumber("dropped", since.TxDropped);
            writer.WriteNumber("errors", since.TxErrors);
            writer.WriteEndObject();
            writer.WriteStartObject("router_to_kernel");
            writer.WriteNumber("packets", since.RxPackets);
            writer.WriteNumber("bytes", since.RxBytes);
            writer.WriteNumber("dropped", since.RxDropped);
            writer.WriteNumber("errors", since.RxErrors);
            writer.WriteEndObject();
        }
        else
        {
            // The device is gone (link is null) or the kernel reported no counters.
            writer.WriteNull("kernel_to_router");
            writer.WriteNull("router_to_kernel");
        }

        writer.WriteEndObject();
    }

    private LinkInfo? ReadLink()
    {
        if (InterfaceIndex == 0)
        {
            return null;
        }

        using var netlink = new RtnetlinkClient();
        return netlink.FindLink(InterfaceIndex);
    }

    /// <summary>The counters since open (a persistent device keeps counting across runs; unsigned wrap-around is fine).</summary>
    private LinkStatistics Since(LinkStatistics now)
    {
        LinkStatistics open = _countersAtOpen ?? new LinkStatistics(0, 0, 0, 0, 0, 0, 0, 0);
        return new LinkStatistics(
            unchecked(now.RxPackets - open.RxPackets), unchecked(now.TxPackets - open.TxPackets),
            unchecked(now.RxBytes - open.RxBytes), unchecked(now.TxBytes - open.TxBytes),
            unchecked(now.RxErrors - open.RxErrors), unchecked(now.TxErrors - open.TxErrors),
            unchecked(now.RxDropped - open.RxDropped), unchecked(now.TxDropped - open.TxDropped));
    }

    /// <summary>At close: says how many packets the kernel dropped at the device, towards RouterHost or from it.</summary>
    private void LogKernelDrops()
    {
        try
        {
            if (ReadLink()?.Statistics is LinkStatistics now)
            {
                LinkStatistics since = Since(now);
                if (since.TxDropped != 0 || since.RxDropped != 0)
                {
                    Log.KernelDrops(_logger, Name, DeviceName, since.TxDropped, since.TxPackets, since.RxDropped);
                }
            }
        }
        catch (Exception ex) when (ex is NetlinkException or IOException)
        {
            Log.KernelCountersUnavailable(_logger, ex, DeviceName);
        }
    }

    private TunQueue AddQueue(SafeFileDescriptor fd)
    {
        var queue = new TunQueue(fd, _queues.Count, DeviceName, Offloads, _settings.Gro, _batchSize, _logger);
        _queues.Add(queue);
        TunMetrics.Add(Name, queue);
        return queue;
    }

    private void Configure()
    {
        using var netlink = new RtnetlinkClient();
        InterfaceIndex = netlink.GetLinkIndex(DeviceName);
        netlink.SetMtu(InterfaceIndex, _settings.Mtu);
        netlink.SetTxQueueLength(InterfaceIndex, _settings.TxQueueLength);
        _countersAtOpen = netlink.FindLink(InterfaceIndex)?.Statistics;

        // What an earlier run left on a persistent device carries RouterHost's mark: adopted or removed here.
        _configuration = new DeviceConfiguration(InterfaceIndex);
        LogChanges(_configuration.ApplyAddresses(netlink, _settings.Addresses.Select(a => (a.Address, a.PrefixLength))));
        netlink.SetLinkUp(InterfaceIndex, true);
        LogChanges(_configuration.ApplyRoutes(netlink, WantedRoutes(HostRoutes.None)));

        // Policy rules a killed run left for its full tunnel (protocol 210) go now; SetHostRoutes puts back what is wanted.
        LogChanges(_rules.Apply(netlink, [], 0));
    }

    private void LogChanges(IReadOnlyList<ConfigurationChange> changes) => DeviceConfigurationLog.Changes(_logger, changes, DeviceName);

    private void Unconfigure()
    {
        if (_configuration is null || (_configuration.Routes.Count == 0 && _configuration.Addresses.Count == 0 && _rules.Rules.Count == 0))
        {
            return;
        }

        try
        {
            using var netlink = new RtnetlinkClient();
            lock (_routesLock)
            {
                // The rules first: without the tunnel's table they would send every lookup to an empty table.
                _rules.Remove(netlink);
                LogChanges(_configuration.Remove(netlink));
            }
        }
        catch (Exception ex) when (ex is NetlinkException or IOException)
        {
            Log.UnconfigureFailed(_logger, ex, DeviceName);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Interface {Interface}: since this run opened TUN device {Device}, the kernel dropped {TowardsRouter} packet(s) bound for RouterHost (tx_dropped: the device's queue was full; {Passed} passed) and {FromRouter} packet(s) RouterHost wrote (rx_dropped)")]
        public static partial void KernelDrops(ILogger logger, string @interface, string device, ulong towardsRouter, ulong passed, ulong fromRouter);

        [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Interface {Interface}: TUN device {Device} steers outgoing flows over its queues by flow hash")]
        public static partial void Steering(ILogger logger, string @interface, string device);

        [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "Interface {Interface}: TUN device {Device} keeps the kernel's queue choice (one peer's flows stay on one queue): {Reason}")]
        public static partial void NoSteering(ILogger logger, string @interface, string device, string reason);

        [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "TUN device {Device}: its kernel counters could not be read at close")]
        public static partial void KernelCountersUnavailable(ILogger logger, Exception exception, string device);

        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Interface {Interface}: TUN device {Device} (ifindex {Index}) in namespace {Namespace}, {Queues} queue(s), MTU {Mtu}")]
        public static partial void Opened(ILogger logger, string @interface, string device, int index, string @namespace, int queues, int mtu);

        [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Interface {Interface}: offloads {Offloads}; write coalescing {Coalescing}")]
        public static partial void Offloads(ILogger logger, string @interface, string offloads, string coalescing);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Interface {Interface}: TUN device {Device} closed{Persist}")]
        private static partial void Closed(ILogger logger, string @interface, string device, string persist);

        public static void Closed(ILogger logger, string @interface, string device, bool persist) =>
            Closed(logger, @interface, device, persist ? " (persistent: left in place without this run's addresses and routes)" : string.Empty);

        [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Could not remove the addresses and routes added to {Device}")]
        public static partial void UnconfigureFailed(ILogger logger, Exception exception, string device);
    }
}
