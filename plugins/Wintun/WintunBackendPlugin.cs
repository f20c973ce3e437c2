using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Plugins.Wintun;

/// <summary>
/// The "Wintun" backend: a Windows Wintun adapter (the driver wireguard-go and Nebula use) with one session as its
/// one queue, configured through the IP Helper API. See <see cref="WintunSettings"/>. Off Windows, or without a
/// usable wintun.dll, <see cref="UnsupportedReason"/> says why and the host refuses configuration that selects it.
/// </summary>
[RouterHostPlugin("Wintun", Description = "Windows Wintun adapter: ring sessions through wintun.dll, IP Helper configuration; no offloads")]
public sealed class WintunBackendPlugin : IBackendPlugin, IInterfaceLinkReader
{
    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public string? UnsupportedReason => WintunLibrary.UnsupportedReason;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        WintunSettings.Parse(settings, InterfaceNameOf(settings), problems);
        return problems;
    }

    public InterfaceLink? ReadLink(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        WintunSettings parsed = WintunSettings.Parse(settings, InterfaceNameOf(settings), problems);
        return problems.Count == 0 ? parsed.Link : null;
    }

    public IContainer Create(BackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!OperatingSystem.IsWindows() || WintunLibrary.UnsupportedReason is not null)
        {
            throw new PlatformNotSupportedException(WintunLibrary.UnsupportedReason);
        }

        var problems = new List<ConfigurationProblem>();
        WintunSettings settings = WintunSettings.Parse(context.Settings, context.InterfaceName, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        return WintunContainer.Create(context.InterfaceName, settings, context.BatchSize, context.LoggerFactory,
            WintunNativeApi.Create(context.LoggerFactory), IpHelperNativeApi.Instance, TimeProvider.System);
    }

    private static string InterfaceNameOf(IConfigurationSection settings) =>
        ConfigurationPath.GetSectionKey(ConfigurationPath.GetParentPath(settings.Path) ?? settings.Path);
}
