using System.Globalization;
using System.Text;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace RouterHost.HandshakeStorm;

/// <summary>
/// <c>HandshakeStorm generate --peers N --dir DIR</c> writes a hub key and N peer keys (files readable by their owner
/// only) and the hub's peers as a JSON object; <c>HandshakeStorm run --dir DIR --hub ADDRESS:PORT</c> plays the N
/// peers, all initiating at once, and prints what it measured (see <see cref="Storm"/>).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        try
        {
            Options options = Options.Parse(args);
            switch (options.Command)
            {
                case "generate":
                    Generate(options);
                    return 0;
                case "run":
                    StormResult result = Storm.Run(options);
                    Console.WriteLine(result.Format());
                    return result.Completed == result.Peers ? 0 : 1;
                default:
                    Console.Error.WriteLine(Options.Usage);
                    return 2;
            }
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"HandshakeStorm: {ex.Message}\n{Options.Usage}");
            return 2;
        }
    }

    /// <summary>Writes DIR/hub.key, DIR/hub.pub, DIR/peers.keys (one private key a line) and DIR/peers.json.</summary>
    private static void Generate(Options options)
    {
        Directory.CreateDirectory(options.Directory);
        Span<byte> secret = stackalloc byte[32];
        using (X25519PrivateKey hub = KeyAgreementAlgorithm.X25519.GenerateKey())
        {
            hub.ExportPrivateKey(secret);
            WritePrivate(Path.Combine(options.Directory, "hub.key"), WireGuardKey.Format(secret) + "\n");
            File.WriteAllText(Path.Combine(options.Directory, "hub.pub"), WireGuardKey.Format(hub.PublicKey) + "\n");
        }

        var keys = new StringBuilder();
        var peers = new StringBuilder("{\n");
        for (int i = 0; i < options.Peers; i++)
        {
            using X25519PrivateKey peer = KeyAgreementAlgorithm.X25519.GenerateKey();
            peer.ExportPrivateKey(secret);
            keys.Append(WireGuardKey.Format(secret)).Append('\n');
            peers.Append(CultureInfo.InvariantCulture, $"  \"s{i}\": {{ \"PublicKey\": \"{WireGuardKey.Format(peer.PublicKey)}\", \"AllowedIPs\": [ \"{OverlayAddress(i)}/32\" ] }}")
                .Append(i + 1 < options.Peers ? ",\n" : "\n");
        }

        secret.Clear();
        peers.Append('}');
        WritePrivate(Path.Combine(options.Directory, "peers.keys"), keys.ToString());
        File.WriteAllText(Path.Combine(options.Directory, "peers.json"), peers.ToString());
    }

    /// <summary>Peer <paramref name="i"/>'s overlay address: 10.201.0.1 onwards.</summary>
    internal static string OverlayAddress(int i) => $"10.{201 + ((i + 1) >> 16)}.{((i + 1) >> 8) & 0xff}.{(i + 1) & 0xff}";

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, string.Empty);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }
}
