using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A WireGuard stage made the way the host makes one (its plugin, from settings) on one loopback socket whose port the
/// kernel chooses, with a fresh private key and one peer named <c>p</c>. The stage's setup that the tests, the fuzz
/// target and the benchmarks share. This file is compiled into each of them (a linked source in the fuzz and
/// benchmark projects), not into the product: it is setup for code that plays the peer, and each of those assemblies
/// already sees the stage's internals.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class LoopbackStage
{
    /// <summary>
    /// Builds the stage. Its private key is written to a 0600 file that lives only while the stage reads it.
    /// </summary>
    /// <param name="peerPublicKey">The peer's public key (base64).</param>
    /// <param name="peerPort">The loopback port the peer listens on (its <c>Endpoint</c>), or null when it must reach us first.</param>
    /// <param name="allowedIPs">The peer's allowed IPs.</param>
    /// <param name="batchSize">Packets per batch (the stage's receive batches); null for the default.</param>
    /// <param name="peerSettings">More of the peer's settings (key: the setting under the peer, as <c>PersistentKeepalive</c>).</param>
    /// <param name="sockets">The stage's <c>Sockets</c>: one per lane that sends.</param>
    public static WireGuardStage Create(
        string peerPublicKey,
        int? peerPort,
        IReadOnlyList<string> allowedIPs,
        int? batchSize = null,
        IReadOnlyDictionary<string, string>? peerSettings = null,
        int sockets = 1) =>
        Create([new LoopbackPeer("p", peerPublicKey, peerPort, allowedIPs, peerSettings)], batchSize, sockets);

    /// <summary>Builds the stage with several peers (each its own name, key, loopback port and allowed IPs).</summary>
    /// <param name="peers">The peers, in the order the stage lists them when their names sort that way.</param>
    /// <param name="batchSize">Packets per batch (the stage's receive batches); null for the default.</param>
    /// <param name="sockets">The stage's <c>Sockets</c>: one per lane that sends.</param>
    public static WireGuardStage Create(IReadOnlyList<LoopbackPeer> peers, int? batchSize = null, int sockets = 1)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("rh-wg-stage-");
        try
        {
            string keyFile = Path.Combine(directory.FullName, "private.key");
            using (X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey())
            {
                Span<byte> secret = stackalloc byte[32];
                key.ExportPrivateKey(secret);
                File.WriteAllText(keyFile, WireGuardKey.Format(secret) + "\n");
                CryptographicOperations.ZeroMemory(secret);
            }

            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var values = new Dictionary<string, string?>
            {
                ["s:PrivateKeyFile"] = keyFile,
                ["s:ListenPort"] = "0",
                ["s:ListenAddresses:0"] = "127.0.0.1",
                ["s:Sockets"] = sockets.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (LoopbackPeer peer in peers)
            {
                string at = $"s:Peers:{peer.Name}";
                values[$"{at}:PublicKey"] = peer.PublicKey;
                for (int i = 0; i < peer.AllowedIPs.Count; i++)
                {
                    values[$"{at}:AllowedIPs:{i}"] = peer.AllowedIPs[i];
                }

                if (peer.Port is { } port)
                {
                    values[$"{at}:Endpoint"] = $"127.0.0.1:{port}";
                }

                foreach ((string name, string value) in peer.Settings ?? new Dictionary<string, string>())
                {
                    values[$"{at}:{name}"] = value;
                }
            }

            IConfigurationSection settings = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("s");
            var context = new StageContext("wg", settings, NullLoggerFactory.Instance, new PortRegistry(), 0, 1);
            if (batchSize is { } size)
            {
                context = context with { BatchSize = size };
            }

            return (WireGuardStage)new WireGuardStagePlugin().Create(context);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Runs the real handshake between <paramref name="stage"/> (initiating) and <paramref name="remote"/>, the other
    /// end of <paramref name="peer"/>, and installs the session as the peer's current one. Returns the stage's half and
    /// the remote's half (which seals what the stage receives from that peer and opens what it sends).
    /// </summary>
    /// <exception cref="InvalidOperationException">A step of the handshake was refused (named).</exception>
    public static (Keypair Session, Keypair RemoteSession) Establish(WireGuardStage stage, WireGuardPeer peer, LocalIdentity remote)
    {
        uint index = stage.Indices.Add(new IndexEntry(peer, null));
        using var initiatorState = new Handshake();
        using var responderState = new Handshake();
        if (!RemoteIdentity.TryCreate(remote, stage.Local.PublicKey, [], out RemoteIdentity? stageAsSeen))
        {
            throw new InvalidOperationException("the stage's public key yields no shared secret with the remote's");
        }

        using (stageAsSeen)
        {
            var initiation = new byte[MessageLayout.InitiationSize];
            NoiseHandshake.CreateInitiation(stage.Local, peer.Identity, initiatorState, index, DateTimeOffset.UtcNow, initiation);
            var pending = new PendingInitiation();
            Check(NoiseHandshake.TryOpenInitiation(remote, initiation, pending), "the remote opening the initiation");
            Check(NoiseHandshake.TryAcceptInitiation(pending, stageAsSeen!, responderState, initiation, 1), "the remote accepting the initiation");
            var response = new byte[MessageLayout.ResponseSize];
            Check(NoiseHandshake.CreateResponse(stageAsSeen!, responderState, 0x5151 + index, response), "the remote's response");
            Check(NoiseHandshake.TryConsumeResponse(stage.Local, peer.Identity, initiatorState, response), "the stage taking the response");
        }

        Keypair session = NoiseHandshake.DeriveKeypair(initiatorState, stage.Now)!;
        Keypair remoteSession = NoiseHandshake.DeriveKeypair(responderState, stage.Now)!;
        stage.Indices.Replace(index, new IndexEntry(peer, session));
        peer.TrySwapKeypairs(peer.Keypairs, new KeypairSet(session, null, null));
        return (session, remoteSession);
    }

    private static void Check(HandshakeOutcome outcome, string step)
    {
        if (outcome != HandshakeOutcome.Accepted)
        {
            throw new InvalidOperationException($"{step}: {outcome}");
        }
    }
}

/// <summary>One peer of a <see cref="LoopbackStage"/>: its name, public key (base64), loopback port (or null), allowed IPs and more settings.</summary>
internal sealed record LoopbackPeer(string Name, string PublicKey, int? Port, IReadOnlyList<string> AllowedIPs, IReadOnlyDictionary<string, string>? Settings = null);
