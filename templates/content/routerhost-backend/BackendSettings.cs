using System.Net;
using Microsoft.Extensions.Configuration;
using RouterHost.Settings;

namespace RouterHostBackend1;

/// <summary>The interface's settings, read once on the control plane.</summary>
/// <param name="Listen">The local address and port (<c>Listen</c>, default <c>127.0.0.1:0</c>: a port the kernel picks).</param>
/// <param name="Peer">The peer's address and port (<c>Peer</c>, required): where written packets go, and the only sender read.</param>
/// <param name="Mtu">The largest packet carried, in bytes (<c>Mtu</c>, 68..65507, default 1500); a longer datagram is a counted drop.</param>
internal sealed record BackendSettings(IPEndPoint Listen, IPEndPoint Peer, int Mtu)
{
    /// <summary>Reads <paramref name="section"/>, recording every problem in <paramref name="reader"/> with its key path.</summary>
    public static BackendSettings Read(IConfigurationSection section, SettingsReader reader)
    {
        reader.CheckKeys(section, "Listen", "Peer", "Mtu");
        IPEndPoint listen = Endpoint(section, "Listen", reader) ?? new IPEndPoint(IPAddress.Loopback, 0);
        IPEndPoint? peer = Endpoint(section, "Peer", reader);
        if (peer is null && section["Peer"] is null)
        {
            reader.Problem($"{section.Path}:Peer", "is missing: give the peer's address and port, e.g. \"127.0.0.1:40000\"");
        }

        if (peer is not null && peer.AddressFamily != listen.AddressFamily)
        {
            reader.Problem($"{section.Path}:Peer", $"'{peer}' is not of the same address family as Listen '{listen}'");
        }

        int mtu = (int)reader.Integer(section, "Mtu", 1500, 68, 65507);
        return new BackendSettings(listen, peer ?? new IPEndPoint(IPAddress.Loopback, 0), mtu);
    }

    private static IPEndPoint? Endpoint(IConfigurationSection section, string key, SettingsReader reader)
    {
        string? text = section[key];
        if (text is null)
        {
            return null;
        }

        if (!IPEndPoint.TryParse(text, out IPEndPoint? endpoint) || !text.Contains(':', StringComparison.Ordinal))
        {
            reader.Problem($"{section.Path}:{key}", $"must be an address and port, \"127.0.0.1:40000\" or \"[::1]:40000\" (got '{text}')");
            return null;
        }

        return endpoint;
    }
}
