using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage as a UAPI device (<see cref="IUapiDevice"/>): what <c>wg show</c> reads and what <c>wg set</c>,
/// <c>wg syncconf</c> and <c>wg setconf</c> change. A <c>set</c> is worked out in full on a model of the device first
/// (in wireguard-go's order: device lines, <c>replace_peers</c>, then each peer section line by line, a key named in
/// several sections changing one peer), and the peer set it leaves is handed to <see cref="ApplyPeers"/>, the path
/// reloads take: checked whole, then applied live, or refused whole with the errno wireguard-go gives (a listen port or
/// fwmark that cannot be had: EADDRINUSE; anything else: EINVAL) and a log line saying what and why.
/// <para>
/// A peer added this way is named <c>uapi-</c> and the first 8 letters and digits of its base64 key (more of them when
/// that name is taken), and is shown with <c>source: uapi</c>; a configured peer the UAPI changed shows
/// <c>config+uapi</c>. Nothing is written to the configuration file: a reload makes the stage what the file says again.
/// </para>
/// </summary>
internal sealed partial class WireGuardStage : IUapiDevice
{
    /// <summary>Where every peer came from, by public key (base64); a key not here is a configured peer.</summary>
    private readonly ConcurrentDictionary<string, PeerSource> _peerSources = new(StringComparer.Ordinal);

    /// <summary>Device settings the UAPI changed since the last reload (for the reload's log).</summary>
    private readonly HashSet<string> _uapiDeviceChanges = new(StringComparer.Ordinal);

    /// <summary>Keys of peers the UAPI added since the last reload.</summary>
    private readonly HashSet<string> _uapiAdded = new(StringComparer.Ordinal);

    private UapiServer? _uapi;

    /// <summary>The UAPI socket's path while it is served (null when <c>Uapi</c> is off).</summary>
    public string? UapiPath => _uapi?.Path;

    /// <summary>Options for the UAPI server (tests shorten its timeouts).</summary>
    internal static UapiServerOptions UapiOptions { get; set; } = new();

    /// <summary>Where a running peer came from: the configuration file, the UAPI, or the file and changed by the UAPI since.</summary>
    internal PeerSource SourceOf(WireGuardPeer peer)
        => _peerSources.TryGetValue(Convert.ToBase64String(peer.Identity.PublicKey), out PeerSource source) ? source : PeerSource.Config;

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

        return new UapiDeviceSnapshot(privateKey, ListenPort, FirewallMark, peers);
    }

    /// <inheritdoc />
    public UapiResult Apply(UapiSetRequest request)
    {
        lock (_applyLock)
        {
            try
            {
                return ApplyLocked(request);
            }
            finally
            {
                if (request.PrivateKey is { } key)
                {
                    CryptographicOperations.ZeroMemory(key);
                }
            }
        }
    }

    private UapiResult ApplyLocked(UapiSetRequest request)
    {
        const string At = "UAPI set";
        byte[]? privateKey = null;
        byte[] ownPublic = Local.PublicKey.ToArray();
        if (request.PrivateKey is { } requested)
        {
            if (!requested.AsSpan().ContainsAnyExcept((byte)0))
            {
                return Refuse(new UapiResult(UapiErrno.Invalid, "private_key: all zero would leave the stage without a key, and a stage always has one; give another key (wg genkey)"));
            }

            privateKey = requested;
            using X25519PrivateKey candidate = KeyAgreementAlgorithm.X25519.ImportPrivateKey(requested);
            ownPublic = candidate.PublicKey.ToArray();
        }

        // The device as the request leaves it, worked out before anything changes.
        var model = new Dictionary<string, PeerModel>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (WireGuardPeer peer in Peers)
        {
            string key = Convert.ToBase64String(peer.Identity.PublicKey);
            model[key] = PeerModel.Of(peer, AllowedIpsOf(peer));
            order.Add(key);
        }

        if (request.ReplacePeers)
        {
            model.Clear();
        }

        foreach (UapiPeerOperation operation in request.Peers)
        {
            string key = Convert.ToBase64String(operation.PublicKey);
            if (operation.PublicKey.AsSpan().SequenceEqual(ownPublic))
            {
                // wireguard-go ignores a section for the device's own key.
                continue;
            }

            bool created = !model.TryGetValue(key, out PeerModel? peer);
            if (created)
            {
                peer = new PeerModel { Running = Peers.Any(p => Convert.ToBase64String(p.Identity.PublicKey) == key) };
                model[key] = peer;
                if (!order.Contains(key))
                {
                    order.Add(key);
                }
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
                    case UapiPeerStepKind.Endpoint:
                        peer.Endpoint = step.Endpoint;
                        peer.EndpointSet = true;
                        break;
                    case UapiPeerStepKind.PersistentKeepalive: peer.Keepalive = step.Number; break;
                    case UapiPeerStepKind.ReplaceAllowedIps: peer.AllowedIps.Clear(); break;
                    case UapiPeerStepKind.AllowedIp:
                        if (step.AllowedIp.Remove)
                        {
                            peer.AllowedIps.Remove(step.AllowedIp.Prefix);
                        }
                        else if (!peer.AllowedIps.Contains(step.AllowedIp.Prefix))
                        {
                            peer.AllowedIps.Add(step.AllowedIp.Prefix);
                        }

                        break;
                }
            }
        }

        // The whole peer set the request leaves, as the file's reload hands it over: every field named.
        var desired = new List<DesiredPeer>();
        var chosen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in order)
        {
            if (!model.TryGetValue(key, out PeerModel? peer))
            {
                continue;
            }

            string? name = null;
            if (!peer.Running)
            {
                name = UapiName(key, chosen);
                if (name is null)
                {
                    return Refuse(new UapiResult(UapiErrno.Invalid, $"peer {key}: every name uapi-<key letters> is taken by another port; rename the port that holds it"));
                }

                chosen.Add(name);
            }

            IPEndPoint? endpoint = peer.Endpoint;
            if (endpoint is not null && endpoint.Address.IsIPv4MappedToIPv6)
            {
                endpoint = new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port);
            }

            desired.Add(new DesiredPeer($"{At}: peer {key}", Convert.FromBase64String(key))
            {
                Name = name,
                PresharedKey = peer.PresharedKey,
                SetsEndpoint = peer.EndpointSet || !peer.Running,
                Endpoint = endpoint is null ? null : UapiProtocol.FormatEndpoint(endpoint),
                AllowedIPs = peer.AllowedIps,
                ReplaceAllowedIPs = true,
                PersistentKeepalive = TimeSpan.FromSeconds(peer.Keepalive),
            });
        }

        // The fwmark first (nothing else has changed yet; it is put back if the rest is refused).
        uint markBefore = FirewallMark;
        if (request.Fwmark is uint mark && mark != markBefore && !TrySetFirewallMark(mark, out string? markProblem))
        {
            return Refuse(new UapiResult(UapiErrno.PortInUse, $"fwmark {mark}: {markProblem}"));
        }

        var before = new Dictionary<string, PeerConfigurationState>(StringComparer.Ordinal);
        foreach (WireGuardPeer peer in Peers)
        {
            before[Convert.ToBase64String(peer.Identity.PublicKey)] = peer.Configuration;
        }

        int portBefore = ListenPort;
        byte[] keyBefore = Local.PublicKey.ToArray();
        var configuration = new PeerConfiguration(desired) { ReplacePeers = true, PrivateKey = privateKey, ListenPort = request.ListenPort };
        IReadOnlyList<ConfigurationProblem> problems = ApplyPeers(configuration, At);
        foreach (PeerModel peer in model.Values)
        {
            CryptographicOperations.ZeroMemory(peer.PresharedKey);
        }

        if (problems.Count > 0)
        {
            if (FirewallMark != markBefore)
            {
                TrySetFirewallMark(markBefore, out _);
            }

            bool port = problems.Any(p => p.Path.EndsWith(":ListenPort", StringComparison.Ordinal));
            return Refuse(new UapiResult(port ? UapiErrno.PortInUse : UapiErrno.Invalid, string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}"))));
        }

        // Where each peer comes from now.
        foreach (WireGuardPeer peer in Peers)
        {
            string key = Convert.ToBase64String(peer.Identity.PublicKey);
            if (!before.TryGetValue(key, out PeerConfigurationState? state))
            {
                _peerSources[key] = PeerSource.Uapi;
                _uapiAdded.Add(key);
            }
            else if (!ReferenceEquals(state, peer.Configuration) && SourceOf(peer) == PeerSource.Config)
            {
                _peerSources[key] = PeerSource.ConfigChangedByUapi;
            }
        }

        foreach (string key in _peerSources.Keys)
        {
            if (!Peers.Any(p => Convert.ToBase64String(p.Identity.PublicKey) == key))
            {
                _peerSources.TryRemove(key, out _);
            }
        }

        foreach ((string key, PeerConfigurationState state) in before)
        {
            if (!Peers.Any(p => Convert.ToBase64String(p.Identity.PublicKey) == key) && !_uapiAdded.Contains(key))
            {
                _uapiDeviceChanges.Add($"peer {key} ({state.Path}) removed");
            }
        }

        if (ListenPort != portBefore)
        {
            _uapiDeviceChanges.Add("listen port");
        }

        if (!Local.PublicKey.SequenceEqual(keyBefore))
        {
            _uapiDeviceChanges.Add("private key");
        }

        if (FirewallMark != markBefore)
        {
            _uapiDeviceChanges.Add("fwmark");
            Log.UapiFirewallMark(_logger, Name, FirewallMark);
        }

        return UapiResult.Success;
    }

    /// <summary>A new peer's name: <c>uapi-</c> and its key's first 8 letters and digits, more of them while the name is taken.</summary>
    private string? UapiName(string base64Key, HashSet<string> chosen)
    {
        var letters = new System.Text.StringBuilder();
        foreach (char c in base64Key)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                letters.Append(c);
            }
        }

        for (int length = 8; length <= letters.Length; length++)
        {
            string name = "uapi-" + letters.ToString(0, length);
            if (!chosen.Contains(name) && !Peers.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) && NameTaken(name) is null)
            {
                return name;
            }
        }

        return null;
    }

    private UapiResult Refuse(UapiResult result)
    {
        Log.UapiRefused(_logger, Name, result.Message!);
        return result;
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

    private IReadOnlyList<string> AllowedIpsOf(WireGuardPeer peer)
        => peer.Configuration.AllowedIPs;

    /// <summary>One peer as a <c>set</c> leaves it.</summary>
    private sealed class PeerModel
    {
        /// <summary>Whether the peer runs now (a new one gets a name).</summary>
        public bool Running { get; init; }

        public byte[] PresharedKey { get; set; } = new byte[WireGuardKey.Size];

        public IPEndPoint? Endpoint { get; set; }

        /// <summary>Whether an <c>endpoint</c> line named it (otherwise a running peer keeps its configured endpoint).</summary>
        public bool EndpointSet { get; set; }

        public int Keepalive { get; set; }

        public List<string> AllowedIps { get; } = [];

        public static PeerModel Of(WireGuardPeer peer, IReadOnlyList<string> allowedIps)
        {
            var model = new PeerModel { Running = true, Keepalive = (int)(peer.PersistentKeepaliveMs / 1000) };
            if (peer.Identity.HasPresharedKey)
            {
                peer.Identity.PresharedKey.CopyTo(model.PresharedKey);
            }

            PeerEndpoint? endpoint = peer.Endpoint;
            model.Endpoint = endpoint is null || endpoint.Remote.IsNone ? null : endpoint.Remote.ToIPEndPoint();
            model.AllowedIps.AddRange(allowedIps);
            return model;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 530, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': UAPI set refused: {Reason}")]
        public static partial void UapiRefused(ILogger logger, string stage, string reason);

        [LoggerMessage(EventId = 531, Level = LogLevel.Information, Message = "WireGuard '{Stage}': UAPI set the sockets' firewall mark to {Mark} (0: none)")]
        public static partial void UapiFirewallMark(ILogger logger, string stage, uint mark);
    }
}

/// <summary>Where a running peer came from (status field <c>source</c>).</summary>
internal enum PeerSource
{
    /// <summary>The configuration file, unchanged since (<c>config</c>).</summary>
    Config,

    /// <summary>Added through the UAPI and not in the file (<c>uapi</c>).</summary>
    Uapi,

    /// <summary>In the file, and changed through the UAPI since: what runs is not what the file says (<c>config+uapi</c>).</summary>
    ConfigChangedByUapi,
}
