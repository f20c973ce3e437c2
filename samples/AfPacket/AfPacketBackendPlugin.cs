using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// The "AfPacket" backend: any Ethernet device as a router interface through AF_PACKET sockets (TPACKET_V3 receive
/// rings, sendmmsg, hash fanout across queues), with the kernel keeping the device's addresses. See
/// samples/AfPacket/README.md.
/// </summary>
[RouterHostPlugin("AfPacket", Description = "AF_PACKET sockets on an Ethernet device: TPACKET_V3 rings, fanout across queues, offloads; the kernel keeps the addresses")]
public sealed class AfPacketBackendPlugin : IBackendPlugin
{
    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.MultiQueue | BackendCapabilities.Gso;

    /// <inheritdoc />
    public string? UnsupportedReason =>
        !OperatingSystem.IsLinux() ? "the AfPacket backend needs Linux (AF_PACKET sockets)"
        : !BitConverter.IsLittleEndian || IntPtr.Size != 8 ? "the AfPacket backend needs a 64-bit little-endian machine"
        : null;

    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        AfPacketSettings.Parse(settings, InterfaceNameOf(settings), problems);
        return problems;
    }

    /// <inheritdoc />
    public IContainer Create(BackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<ConfigurationProblem>();
        AfPacketSettings settings = AfPacketSettings.Parse(context.Settings, context.InterfaceName, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        context.Services.TryGet(out INextHopTable? nextHops);
        return AfPacketContainer.Create(context.InterfaceName, settings, context.DefaultQueueCount, context.BatchSize, nextHops, context.LoggerFactory);
    }

    private static string InterfaceNameOf(IConfigurationSection settings) =>
        ConfigurationPath.GetSectionKey(ConfigurationPath.GetParentPath(settings.Path) ?? settings.Path);
}
