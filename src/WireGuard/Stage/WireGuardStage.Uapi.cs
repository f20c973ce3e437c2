using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage as a UAPI device (<see cref="IUapiDevice"/>): what <c>wg show</c> reads, and the part of <c>wg set</c>
/// that can change while the stage runs. A <c>set</c> is worked out in full on a model of the device first (in
/// wireguard-go's order: device lines, <c>replace_peers</c>, then each peer section line by line), and the result is
/// compared with the running state: when only endpoints and persistent keepalives differ it is applied; anything else
/// (a new or removed peer, changed allowed IPs or preshared key, another private key, listen port or fwmark) is
/// refused whole with the errno wireguard-go gives when it cannot make such a change, and the log says what.
/// </summary>
internal sealed partial class WireGuardStage : IUapiDevice
{
    private UapiServer? _uapi;

    /// <summary>The UAPI socket's path while it is served (null when <c>Uapi</c> is off).</summary>
    public string? UapiPath => _uapi?.Path;

    /// <summary>Options for the UAPI server (tests shorten its timeouts).</summary>
    internal static UapiServerOptions UapiOptions { get; set; } = new();

    /// <inheritdoc />
    public UapiDeviceSnapshot Snapshot()
    {
        byte[] privateKey = new byte[WireGuardKey.Size];
        Local.PrivateKey.ExportPrivateKey(privateKey);
        WireGuardCounters total = Sum();
        var peers = new List<UapiPeerSnapshot>(Peers.Count);
        foreach (WireGuardPeer peer in Peers)
        {
            byte[] psk = new byte[WireGuardKey.Size];
            if (peer.Identity.HasPresharedKey)
            {
                peer.Identity.PresharedKey.CopyTo(psk);
            }

            long handshakeMs = Volatile.Read(ref peer.LatestHandshakeUnixMs);
            PeerEndpoint? endpoint = peer.Endpoint;
            peers.Add(new UapiPeerSnapshot(
                peer.Identity.PublicKey.ToArray(),
                psk,
                endpoint is null || endpoint.Remote.IsNone ? null : endpoint.Remote.ToIPEndPoint(),
                handshakeMs / 1000,
                handshakeMs % 1000 * 1_000_000,
                total.TxBytes[peer.Index],
                total.RxBytes[peer.Index],
                (int)(peer.PersistentKeepaliveMs / 1000),
                AllowedIpsOf(peer)));
        }

        return new UapiDeviceSnapshot(privateKey, ListenPort, 0, peers);
    }

    /// <inheritdoc />
    public UapiResult Apply(UapiSetRequest request)
    {
        // The device as the request leaves it, worked out before anything changes.
        var model = new Dictionary<string, PeerModel>(StringComparer.Ordinal);
        foreach (WireGuardPeer peer in Peers)
        {
            model[Convert.ToHexStringLower(peer.Identity.PublicKey)] = PeerModel.Of(peer, AllowedIpsOf(peer));
        }

        if (request.ReplacePeers)
        {
            model.Clear();
        }

        string own = Convert.ToHexStringLower(Local.PublicKey);
        foreach (UapiPeerOperation operation in request.Peers)
        {
            string key = Convert.ToHexStringLower(operation.PublicKey);
            if (key == own)
            {
                // wireguard-go ignores a section for the device's own key.
                continue;
            }

            bool created = !model.TryGetValue(key, out PeerModel? peer);
            if (created)
            {
                peer = new PeerModel();
                model[key] = peer;
            }

            foreach (UapiPeerStep step in operation.Steps)
            {
                if (peer is null)
                {
                    break; // removed, or not created (update_only): the rest of the section is ignored
                }

                switch (step.Kind)
                {
                    case UapiPeerStepKind.UpdateOnly when created:
                    case UapiPeerStepKind.Remove:
                        model.Remove(key);
                        peer = null;
                        break;
                    case UapiPeerStepKind.PresharedKey: peer.PresharedKey = step.Key!; break;
                    case UapiPeerStepKind.Endpoint: peer.Endpoint = step.Endpoint; break;
                    case UapiPeerStepKind.PersistentKeepalive: peer.Keepalive = step.Number; break;
                    case UapiPeerStepKind.ReplaceAllowedIps: peer.AllowedIps.Clear(); break;
                    case UapiPeerStepKind.AllowedIp:
                        if (step.AllowedIp.Remove)
                        {
                            peer.AllowedIps.Remove(step.AllowedIp.Prefix);
                        }
                        else
                        {
                            peer.AllowedIps.Add(step.AllowedIp.Prefix);
                        }

                        break;
                }
            }
        }

        // What differs from the running device, and whether this stage can do it live yet.
        UapiResult? refusal = Unsupported(request, model);
        if (refusal is { } refused)
        {
            Log.UapiRefused(_logger, Name, refused.Message!);
            return refused;
        }

        foreach (WireGuardPeer peer in Peers)
        {
            PeerModel wanted = model[Convert.ToHexStringLower(peer.Identity.PublicKey)];
            PeerEndpoint? current = peer.Endpoint;
            if (wanted.Endpoint is not null && (current is null || !current.Remote.ToIPEndPoint().Equals(wanted.Endpoint)))
            {
                var address = wanted.Endpoint.Address.IsIPv4MappedToIPv6 ? wanted.Endpoint.Address.MapToIPv4() : wanted.Endpoint.Address;
                peer.SetEndpoint(new PeerEndpoint(UdpEndpoint.Create(address, (ushort)wanted.Endpoint.Port), UdpEndpoint.None));
                Log.UapiEndpoint(_logger, Name, peer.Name, UapiProtocol.FormatEndpoint(wanted.Endpoint));
            }

            long keepaliveMs = wanted.Keepalive * 1000L;
            long before = peer.PersistentKeepaliveMs;
            if (keepaliveMs != before)
            {
                peer.SetPersistentKeepalive(keepaliveMs);
                Log.UapiKeepalive(_logger, Name, peer.Name, wanted.Keepalive);
                if (before == 0 && keepaliveMs > 0 && peer.Endpoint is not null)
                {
                    // As wireguard-go: turning persistent keepalive on reaches the peer at once.
                    if (RequestHandshake(peer) || peer.Keypairs.Current is not null)
                    {
                        WakeHandshakeThread();
                    }
                }
            }
        }

        return UapiResult.Success;
    }

    /// <summary>Serves the UAPI socket when the settings ask for it (called while the stage is created).</summary>
    private void StartUapi(StageContext context)
    {
        if (!_settings.Uapi)
        {
            return;
        }

        string name = _settings.UapiName ?? Name;
        if (!UapiServer.IsValidName(name))
        {
            throw new InvalidOperationException($"{context.Settings.Path}:Uapi: the UAPI socket is named after the stage, and the stage's name '{name}' cannot name one (1 to 15 of A-Z a-z 0-9 . _ -); set {context.Settings.Path}:UapiName to an interface-like name such as wg0");
        }

        try
        {
            _uapi = UapiServer.Start(UapiServer.PathFor(name), this, _logger, UapiOptions);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{context.Settings.Path}:Uapi: {ex.Message}", ex);
        }
    }

    private void StopUapi() => Interlocked.Exchange(ref _uapi, null)?.Dispose();

    private UapiResult? Unsupported(UapiSetRequest request, Dictionary<string, PeerModel> model)
    {
        // TODO(livepeers): peers added or removed, allowed IPs and preshared keys changed are to go through the
        // WireGuard stage's live peer-set entry point once the livepeers branch lands: hand it the desired peer set
        // built in `model` above, and drop these refusals.
        if (request.PrivateKey is { } privateKey)
        {
            byte[] current = new byte[WireGuardKey.Size];
            Local.PrivateKey.ExportPrivateKey(current);
            bool same = CryptographicOperations.FixedTimeEquals(current, privateKey);
            CryptographicOperations.ZeroMemory(current);
            CryptographicOperations.ZeroMemory(privateKey);
            if (!same)
            {
                return new UapiResult(UapiErrno.Invalid, "changing the private key is not supported live yet: set PrivateKeyFile and restart");
            }
        }

        if (request.ListenPort is int port && port != ListenPort)
        {
            return new UapiResult(UapiErrno.PortInUse, $"changing the listen port ({ListenPort} to {port}) is not supported live yet: set ListenPort and restart");
        }

        if (request.Fwmark is uint mark && mark != 0)
        {
            return new UapiResult(UapiErrno.PortInUse, $"fwmark {mark}: this stage sets no fwmark on its sockets yet");
        }

        var unsupported = new List<string>();
        foreach (WireGuardPeer peer in Peers)
        {
            string key = Convert.ToHexStringLower(peer.Identity.PublicKey);
            if (!model.TryGetValue(key, out PeerModel? wanted))
            {
                unsupported.Add($"removing peer '{peer.Name}'");
                continue;
            }

            if (!wanted.AllowedIps.SetEquals(AllowedIpsOf(peer)))
            {
                unsupported.Add($"changing the allowed IPs of peer '{peer.Name}'");
            }

            byte[] psk = new byte[WireGuardKey.Size];
            if (peer.Identity.HasPresharedKey)
            {
                peer.Identity.PresharedKey.CopyTo(psk);
            }

            if (!CryptographicOperations.FixedTimeEquals(psk, wanted.PresharedKey))
            {
                unsupported.Add($"changing the preshared key of peer '{peer.Name}'");
            }

            CryptographicOperations.ZeroMemory(psk);
        }

        foreach ((string key, PeerModel _) in model)
        {
            if (FindPeer(Convert.FromHexString(key)) is null)
            {
                unsupported.Add($"adding peer {WireGuardKey.Format(Convert.FromHexString(key))}");
            }
        }

        return unsupported.Count == 0
            ? null
            : new UapiResult(UapiErrno.Invalid, $"{string.Join(", ", unsupported)}: not supported live yet (only endpoints and persistent keepalives change live); change the configuration file and restart");
    }

    private IReadOnlyList<string> AllowedIpsOf(WireGuardPeer peer)
        => peer.Configuration.AllowedIPs;

    /// <summary>One peer as a <c>set</c> leaves it.</summary>
    private sealed class PeerModel
    {
        public byte[] PresharedKey { get; set; } = new byte[WireGuardKey.Size];

        public IPEndPoint? Endpoint { get; set; }

        public int Keepalive { get; set; }

        public HashSet<string> AllowedIps { get; } = new(StringComparer.Ordinal);

        public static PeerModel Of(WireGuardPeer peer, IReadOnlyList<string> allowedIps)
        {
            var model = new PeerModel { Keepalive = (int)(peer.PersistentKeepaliveMs / 1000) };
            if (peer.Identity.HasPresharedKey)
            {
                peer.Identity.PresharedKey.CopyTo(model.PresharedKey);
            }

            PeerEndpoint? endpoint = peer.Endpoint;
            model.Endpoint = endpoint is null || endpoint.Remote.IsNone ? null : endpoint.Remote.ToIPEndPoint();
            foreach (string prefix in allowedIps)
            {
                model.AllowedIps.Add(prefix);
            }

            return model;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "WireGuard '{Stage}': UAPI set refused: {Reason}")]
        public static partial void UapiRefused(ILogger logger, string stage, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "WireGuard '{Stage}': UAPI set the endpoint of peer '{Peer}' to {Endpoint}")]
        public static partial void UapiEndpoint(ILogger logger, string stage, string peer, string endpoint);

        [LoggerMessage(Level = LogLevel.Information, Message = "WireGuard '{Stage}': UAPI set the persistent keepalive of peer '{Peer}' to {Seconds} s (0: off)")]
        public static partial void UapiKeepalive(ILogger logger, string stage, string peer, int seconds);
    }
}
