using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace RouterHost.Abstractions;

/// <summary>What a backend gets to build an interface.</summary>
/// <param name="InterfaceName">The interface's name from configuration.</param>
/// <param name="Settings">The interface's <c>Settings</c> section (backend-specific).</param>
/// <param name="LoggerFactory">For the backend's loggers.</param>
/// <param name="DefaultQueueCount">Queues to open when configuration does not say (the number of CPUs).</param>
/// <param name="BatchSize">The most packets one <see cref="IPacketReader.Read"/> should return.</param>
public sealed record BackendContext(
    string InterfaceName,
    IConfigurationSection Settings,
    ILoggerFactory LoggerFactory,
    int DefaultQueueCount,
    int BatchSize)
{
    /// <summary>
    /// Services the router's stages published (they are created before any backend), e.g. the
    /// <see cref="Routing.INextHopTable"/> an Ethernet backend resolves <see cref="Packet.NextHop"/> with.
    /// </summary>
    public IStageServices Services { get; init; } = NoStageServices.Instance;
}
