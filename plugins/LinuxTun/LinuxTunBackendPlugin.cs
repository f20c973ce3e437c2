using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// The "LinuxTun" backend: a Linux TUN device with virtio-net offloads (TSO/USO superpackets in, GRO-coalesced
/// GSO writes out), one queue per fd (IFF_MULTI_QUEUE), configured over rtnetlink. See <see cref="TunSettings"/>.
/// </summary>
[RouterHostPlugin("LinuxTun", Description = "Linux TUN device: TSO/USO offloads, GRO coalescing, multi-queue, rtnetlink configuration")]
public sealed class LinuxTunBackendPlugin : IBackendPlugin, IInterfaceLinkReader
{
    public BackendCapabilities Capabilities => BackendCapabilities.Gso | BackendCapabilities.MultiQueue | BackendCapabilities.AdoptFileDescriptor;

    public string? UnsupportedReason => OperatingSystem.IsLinux() ? null : "the LinuxTun backend needs Linux (/dev/net/tun)";

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        TunSettings.Parse(settings, InterfaceNameOf(settings), Environment.ProcessorCount, problems);
        return problems;
    }

    public InterfaceLink? ReadLink(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        TunSettings parsed = TunSettings.Parse(settings, InterfaceNameOf(settings), Environment.ProcessorCount, problems);
        return problems.Count == 0 ? parsed.Link : null;
    }

    public IContainer Create(BackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<ConfigurationProblem>();
        TunSettings settings = TunSettings.Parse(context.Settings, context.InterfaceName, context.DefaultQueueCount, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        return TunContainer.Create(context.InterfaceName, settings, context.BatchSize, context.LoggerFactory);
    }

    private static string InterfaceNameOf(IConfigurationSection settings) =>
        ConfigurationPath.GetSectionKey(ConfigurationPath.GetParentPath(settings.Path) ?? settings.Path);
}
