using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHostBackend1;

/// <summary>
/// The "RouterHostBackend1" backend's factory: an interface whose IP packets travel as UDP datagrams to and from one
/// peer (one packet per datagram), on a socket bound to <c>Listen</c> and connected to <c>Peer</c>. Two routers (or a
/// router and a program) joined this way form a point-to-point link; only the peer's datagrams are read.
/// </summary>
/// <remarks>
/// Configuration (<c>Interfaces:&lt;name&gt;</c>):
/// <c>{ "Backend": "RouterHostBackend1", "Settings": { "Listen": "127.0.0.1:0", "Peer": "127.0.0.1:40000", "Mtu": 1500 } }</c>.
/// The constructor does nothing (the host may list plugins without using them); <see cref="Validate"/> and
/// <see cref="Create"/> run on the control plane and may allocate and throw.
/// </remarks>
[RouterHostPlugin("RouterHostBackend1", Description = "IP packets as UDP datagrams to and from one peer")]
public sealed class BackendPlugin : IBackendPlugin
{
    /// <summary>What <c>routerhost plugins</c> lists: one queue, no offloads.</summary>
    public BackendCapabilities Capabilities => BackendCapabilities.None;

    /// <summary>Null: UDP sockets exist everywhere. A backend that needs a platform feature says here why it cannot run.</summary>
    public string? UnsupportedReason => null;

    /// <summary>Checks the interface's <c>Settings</c>; every problem names its full key path.</summary>
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = new SettingsReader([]);
        _ = BackendSettings.Read(settings, reader);
        return reader.Problems;
    }

    /// <summary>Opens the interface: binds and connects its socket (errors name the setting and the address).</summary>
    public IContainer Create(BackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var reader = new SettingsReader([]);
        BackendSettings settings = BackendSettings.Read(context.Settings, reader);
        if (reader.Problems.Count > 0)
        {
            throw new InvalidOperationException(reader.Problems[0].ToString());
        }

        return new DatagramContainer(context.InterfaceName, context.Settings.Path, settings, context.BatchSize);
    }
}
