using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions.Tunnels;

/// <summary>
/// An optional capability of an <see cref="IStagePlugin"/> whose stages terminate tunnels: reads the inner MTU its
/// peers get (<see cref="PortInfo.Mtu"/>) from the stage's <c>Settings</c> alone, so <c>routerhost validate</c> can
/// warn about interfaces whose MTU is larger.
/// </summary>
public interface ITunnelMtuReader
{
    /// <summary>
    /// The inner MTU of the tunnel <paramref name="settings"/> configure and the key path it comes from (the setting,
    /// or the section when the default applies); null when the settings are not valid or configure no peer.
    /// </summary>
    (int Mtu, string Path)? ReadTunnelMtu(IConfigurationSection settings);
}
