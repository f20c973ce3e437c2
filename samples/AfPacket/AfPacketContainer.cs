using System.Net;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Abstractions.Routing;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// An Ethernet device as a router interface through AF_PACKET: one socket per queue, joined in one PACKET_FANOUT group
/// (hash mode, so a flow stays on one queue), and the interface's neighbour table. The kernel keeps the device and its
/// addresses (<see cref="InterfaceAddressOwner.HostStack"/>): it answers ARP and neighbour discovery and its own
/// traffic; with IP forwarding off in its namespace it does not also forward what the router forwards.
/// </summary>
internal sealed partial class AfPacketContainer : IContainer, IInterfaceLinkProvider
{
    private readonly List<AfPacketQueue> _queues = [];
    private readonly ILogger _logger;
    private int _disposed;

    private AfPacketContainer(string name, Device device, AfPacketSettings settings, ILogger logger)
    {
        Name = name;
        Device = device;
        Settings = settings;
        _logger = logger;
        Neighbours = new NeighbourTable(settings.NeighbourCacheSize, settings.NeighbourRefresh, settings.NeighbourRetry);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The device as read when the interface was created.</summary>
    public Device Device { get; }

    /// <summary>The interface's settings.</summary>
    public AfPacketSettings Settings { get; }

    /// <summary>The interface's neighbours (IPv4 and IPv6), shared by its queues.</summary>
    public NeighbourTable Neighbours { get; }

    /// <inheritdoc />
    public IReadOnlyList<IQueue> Queues => _queues;

    /// <summary>The queues with their own type (for tests and status).</summary>
    public IReadOnlyList<AfPacketQueue> PacketQueues => _queues;

    /// <inheritdoc />
    public InterfaceLink Link => new(Device.Addresses, InterfaceAddressOwner.HostStack, Device.Mtu);

    /// <summary>Opens the device's sockets; on failure, closes what it opened and throws with what failed, errno and how to fix it.</summary>
    public static AfPacketContainer Create(string name, AfPacketSettings settings, int defaultQueues, int batchSize, INextHopTable? nextHops, ILoggerFactory loggerFactory)
    {
        ILogger logger = loggerFactory.CreateLogger<AfPacketContainer>();
        Device device = Device.Read(name, settings.Device, out List<IPAddress> linkLocal);
        var container = new AfPacketContainer(name, device, settings, logger);
        try
        {
            LocalAddresses local = device.Local(linkLocal);
            UInt128 linkLocalSource = linkLocal.Count > 0 ? Device.ToNumber6(linkLocal[0]) : UInt128.Zero;
            int queues = settings.Queues ?? Math.Clamp(defaultQueues, 1, AfPacketSettings.MaxQueues);
            int fanout = queues > 1 ? PacketRingSocket.NewFanoutGroup : PacketRingSocket.NoFanout;
            for (int i = 0; i < queues; i++)
            {
                PacketRingSocket socket = PacketRingSocket.Open(device, settings, ref fanout, name);
                try
                {
                    container._queues.Add(new AfPacketQueue(i, socket, settings, device, local, linkLocalSource, container.Neighbours, nextHops, batchSize, name));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            Log.Opened(logger, name, device.Name, device.Index, Ethernet.Format(device.Mac), device.Mtu, queues, settings.BlockCount, settings.BlockSize, settings.Offloads ? "on" : "off", string.Join(", ", device.Addresses));
            if (nextHops is null)
            {
                Log.NoNextHops(logger, name);
            }

            return container;
        }
        catch
        {
            container.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Close()
    {
        foreach (AfPacketQueue queue in _queues)
        {
            queue.Close();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        foreach (AfPacketQueue queue in _queues)
        {
            queue.Dispose();
        }

        Log.Closed(_logger, Name, Device.Name);
    }

    private static partial class Log
    {
        // More than six placeholders: the generator names each value after its parameter, so the parameter is spelled as
        // the placeholder (a verbatim @interface would leave {Interface} unfilled).
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Interface {Interface}: AF_PACKET on {Device} (ifindex {Index}, {Mac}, MTU {Mtu}): {Queues} queue(s) in a hash fanout group, rings of {Blocks} blocks of {BlockSize} bytes, offloads {Offloads}; the kernel keeps the addresses {Addresses}")]
        public static partial void Opened(ILogger logger, string Interface, string device, int index, string mac, int mtu, int queues, int blocks, int blockSize, string offloads, string addresses);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Interface {Interface}: AF_PACKET on {Device} closed")]
        public static partial void Closed(ILogger logger, string @interface, string device);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Interface {Interface}: no routing stage published next hops; packets routed via a gateway are dropped (afpacket.tx.unknown_next_hop)")]
        public static partial void NoNextHops(ILogger logger, string @interface);
    }
}
