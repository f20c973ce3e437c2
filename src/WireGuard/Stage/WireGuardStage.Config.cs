using System.Globalization;
using System.Security.Cryptography;
using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Stage;

/// <summary>The running tunnel in wg(8)'s configuration format, for <c>routerhost showconf</c>.</summary>
internal sealed partial class WireGuardStage
{
    /// <summary>
    /// Writes the tunnel as <c>wg showconf</c> prints a device: <c>[Interface]</c> with <c>ListenPort</c> (the port in
    /// use) and, when <paramref name="includeSecrets"/>, <c>PrivateKey</c>; then one <c>[Peer]</c> per peer with
    /// <c>PublicKey</c>, <c>PresharedKey</c> (secrets only), <c>AllowedIPs</c>, <c>Endpoint</c> (the current one, after
    /// roaming) and <c>PersistentKeepalive</c>. <paramref name="interfaceLines"/> (wg-quick's <c>Address</c> and
    /// <c>MTU</c>) follow the <c>[Interface]</c> header, where wg-quick's <c>save</c> puts them. Without secrets a comment
    /// says what was left out. Each peer's RouterHost name is a comment above it.
    /// </summary>
    public void WriteConfig(TextWriter writer, bool includeSecrets, IEnumerable<string> interfaceLines)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine("[Interface]");
        foreach (string line in interfaceLines)
        {
            writer.WriteLine(line);
        }

        writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ListenPort = {ListenPort}"));
        if (includeSecrets)
        {
            Span<byte> secret = stackalloc byte[WireGuardKey.Size];
            Local.PrivateKey.ExportPrivateKey(secret);
            writer.WriteLine($"PrivateKey = {WireGuardKey.Format(secret)}");
            CryptographicOperations.ZeroMemory(secret);
        }
        else
        {
            writer.WriteLine("# PrivateKey and PresharedKeys are shown to root only (as wg showconf); this node's public key:");
            writer.WriteLine($"# PublicKey = {WireGuardKey.Format(Local.PublicKey)}");
        }

        foreach (WireGuardPeer peer in Peers)
        {
            writer.WriteLine();
            writer.WriteLine($"# {peer.Name}");
            writer.WriteLine("[Peer]");
            writer.WriteLine($"PublicKey = {WireGuardKey.Format(peer.Identity.PublicKey)}");
            if (includeSecrets && peer.Identity.HasPresharedKey)
            {
                writer.WriteLine($"PresharedKey = {WireGuardKey.Format(peer.Identity.PresharedKey)}");
            }

            if (peer.Configuration.AllowedIPs is { Count: > 0 } allowed)
            {
                writer.WriteLine($"AllowedIPs = {string.Join(", ", allowed)}");
            }

            if (peer.Endpoint is { } endpoint)
            {
                writer.WriteLine($"Endpoint = {endpoint.Remote}");
            }

            if (peer.PersistentKeepaliveMs > 0)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PersistentKeepalive = {Math.Max(1, peer.PersistentKeepaliveMs / 1000)}"));
            }
        }
    }
}
