using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions.Tunnels;

/// <summary>
/// An optional capability of an <see cref="IStagePlugin"/> whose stages register peers: reads the peers and their
/// allowed prefixes from the stage's <c>Settings</c> alone, so <c>routerhost validate</c> can say which peers no route
/// reaches and which prefixes become kernel routes.
/// </summary>
public interface ITunnelPeerReader
{
    /// <summary>The peers <paramref name="settings"/> configure; null when the settings are not valid. Never throws for bad settings.</summary>
    IReadOnlyList<TunnelPeer>? ReadPeers(IConfigurationSection settings);
}
