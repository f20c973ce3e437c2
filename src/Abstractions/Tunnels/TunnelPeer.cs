using System.Net;

namespace RouterHost.Abstractions.Tunnels;

/// <summary>A peer as its stage's settings describe it.</summary>
/// <param name="Name">Its port name.</param>
/// <param name="Path">The key path of its section.</param>
/// <param name="AllowedPrefixes">Its allowed prefixes (network addresses).</param>
public sealed record TunnelPeer(string Name, string Path, IReadOnlyList<IPNetwork> AllowedPrefixes);
