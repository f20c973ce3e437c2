using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Abstractions.Routing;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// The "AfXdp" backend: an Ethernet device's queues as a router interface through AF_XDP sockets, with our own
/// XDP program (IPv4/IPv6 to the sockets; ARP and neighbour discovery to the kernel) attached through a BPF link, and
/// next-hop MACs from the kernel's neighbour table. See <see cref="AfXdpSettings"/>.
/// </summary>
[RouterHostPlugin("AfXdp", Description = "AF_XDP sockets on an Ethernet device's queues: UMEM and rings, own XDP program, kernel neighbour table")]
public sealed class AfXdpBackendPlugin : IBackendPlugin, IInterfaceLinkReader
{
    public BackendCapabilities Capabilities => BackendCapabilities.MultiQueue | BackendCapabilities.ZeroCopy;

    public string? UnsupportedReason =>
        !OperatingSystem.IsLinux() ? "the AfXdp backend needs Linux (AF_XDP sockets, XDP)"
        : !BitConverter.IsLittleEndian || IntPtr.Size != 8 ? "the AfXdp backend needs a 64-bit little-endian machine"
        : null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        AfXdpSettings.Parse(settings, InterfaceNameOf(settings), problems);
        return problems;
    }

    public InterfaceLink? ReadLink(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        AfXdpSettings parsed = AfXdpSettings.Parse(settings, InterfaceNameOf(settings), problems);
        return problems.Count == 0 ? parsed.Link(parsed.Mtu ?? 0) : null;
    }

    public IContainer Create(BackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<ConfigurationProblem>();
        AfXdpSettings settings = AfXdpSettings.Parse(context.Settings, context.InterfaceName, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        context.Services.TryGet(out INextHopTable? nextHops);
        return AfXdpContainer.Create(context.InterfaceName, settings, context.BatchSize, nextHops, context.LoggerFactory);
    }

    private static string InterfaceNameOf(IConfigurationSection settings) =>
        ConfigurationPath.GetSectionKey(ConfigurationPath.GetParentPath(settings.Path) ?? settings.Path);
}
