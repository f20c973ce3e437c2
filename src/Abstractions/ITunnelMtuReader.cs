using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions;

/// <summary>
/// An optional capability of an <see cref="IStagePlugin"/> whose stages terminate tunnels: reads the inner MTU its
/// peers get (<see cref="PortInfo.Mtu"/>) from the stage's <c>Settings</c> alone, so <c>routerhost validate</c> can
/// warn about interfaces whose MTU is larger. Added in contract 1.3.
/// </summary>
public interface ITunnelMtuReader
{
    /// <summary>
    /// The inner MTU of the tunnel <paramref name="settings"/> configure and the key path it comes from (the setting,
    /// or the section when the default applies); null when the settings are not valid or configure no peer.
    /// </summary>
    (int Mtu, string Path)? ReadTunnelMtu(IConfigurationSection settings);
}

/// <summary>
/// An optional capability of an <see cref="IStagePlugin"/> whose stages register peers: reads the peers and their
/// allowed prefixes from the stage's <c>Settings</c> alone, so <c>routerhost validate</c> can say which peers no route
/// reaches and which prefixes become kernel routes. Added in contract 1.4.
/// </summary>
public interface ITunnelPeerReader
{
    /// <summary>The peers <paramref name="settings"/> configure; null when the settings are not valid. Never throws for bad settings.</summary>
    IReadOnlyList<TunnelPeer>? ReadPeers(IConfigurationSection settings);
}

/// <summary>A peer as its stage's settings describe it.</summary>
/// <param name="Name">Its port name.</param>
/// <param name="Path">The key path of its section.</param>
/// <param name="AllowedPrefixes">Its allowed prefixes (network addresses).</param>
public sealed record TunnelPeer(string Name, string Path, IReadOnlyList<System.Net.IPNetwork> AllowedPrefixes);
