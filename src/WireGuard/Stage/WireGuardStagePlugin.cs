using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Tunnels;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// "WireGuard": the encryption stage. Packets routed to one of its peers leave as WireGuard transport messages over
/// its own UDP sockets; datagrams arriving on them are authenticated and decrypted into packets from that peer (the
/// routing stage checks they come from the peer's allowed IPs). Speaks the protocol of wireguard-go and the Linux
/// kernel module, so any WireGuard peer can be a RouterHost peer.
/// </summary>
[RouterHostPlugin("WireGuard", Description = "WireGuard encryption (Noise_IKpsk2, cookies, timers, roaming) over the router's own UDP sockets")]
public sealed class WireGuardStagePlugin : IStagePlugin, ITunnelMtuReader, ITunnelPeerReader
{
    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings parsed = WireGuardSettings.Parse(settings, problems);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(parsed.PrivateKey);
        foreach (PeerSettings peer in parsed.Peers)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(peer.PresharedKey);
        }

        return problems;
    }

    /// <inheritdoc />
    public (int Mtu, string Path)? ReadTunnelMtu(IConfigurationSection settings)
    {
        // Only the MTU and whether there are peers: the warnings that ask run after validation has checked the rest,
        // and a hub's thousands of peers need not be read for it.
        var problems = new List<ConfigurationProblem>();
        int mtu = (int)new RouterHost.Settings.SettingsReader(problems).Integer(settings, "Mtu", WireGuardSettings.DefaultMtu, 576, 65535 - 80);
        return problems.Count > 0 || !settings.GetSection("Peers").GetChildren().Any() ? null : (mtu, $"{settings.Path}:Mtu");
    }

    /// <inheritdoc />
    public IReadOnlyList<TunnelPeer>? ReadPeers(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings parsed = WireGuardSettings.Parse(settings, problems, readKeyFiles: false);
        var peers = new List<TunnelPeer>();
        foreach (PeerSettings peer in parsed.Peers)
        {
            peers.Add(new TunnelPeer(peer.Name, peer.Path, WireGuardSettings.Networks(peer.AllowedIPs)));
        }

        return problems.Count > 0 ? null : peers;
    }

    /// <inheritdoc />
    public IStage Create(StageContext context)
    {
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings settings = WireGuardSettings.Parse(context.Settings, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        return WireGuardStage.Create(context, settings, context.BatchSize);
    }
}
