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
    /// <summary>
    /// The settings the last validation read, by key path, for the configuration they were read from (the root's reload
    /// token, a new object whenever the configuration is built or reloaded): <see cref="Create"/> and a reload's
    /// <see cref="WireGuardStage.Reconfigure"/> take them instead of reading the same sections again — a hub's
    /// thousands of peers are read once per start or reload. Taken once; replaced (secrets wiped) by the next validation
    /// of another configuration.
    /// </summary>
    private readonly Dictionary<string, WireGuardSettings> _validated = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Threading.Lock _validatedLock = new();
    private object? _validatedToken;

    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings parsed = WireGuardSettings.Parse(settings, problems);
        if (problems.Count > 0)
        {
            parsed.WipeSecrets();
            return problems;
        }

        object token = settings.GetReloadToken();
        lock (_validatedLock)
        {
            if (!ReferenceEquals(token, _validatedToken))
            {
                ForgetValidated();
                _validatedToken = token;
            }

            if (_validated.Remove(settings.Path, out WireGuardSettings? earlier))
            {
                earlier.WipeSecrets();
            }

            _validated[settings.Path] = parsed;
        }

        return problems;
    }

    /// <summary>
    /// The settings of <paramref name="settings"/> as its validation read them (once: taken), or read now when it was not
    /// validated in this process or the configuration changed since.
    /// </summary>
    internal WireGuardSettings ValidatedOrParse(IConfigurationSection settings, List<ConfigurationProblem> problems)
    {
        lock (_validatedLock)
        {
            if (ReferenceEquals(settings.GetReloadToken(), _validatedToken) && _validated.Remove(settings.Path, out WireGuardSettings? validated))
            {
                return validated;
            }
        }

        return WireGuardSettings.Parse(settings, problems);
    }

    private void ForgetValidated()
    {
        foreach (WireGuardSettings earlier in _validated.Values)
        {
            earlier.WipeSecrets();
        }

        _validated.Clear();
        _validatedToken = null;
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
        ArgumentNullException.ThrowIfNull(settings);
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings? parsed = null;
        lock (_validatedLock)
        {
            if (ReferenceEquals(settings.GetReloadToken(), _validatedToken))
            {
                _validated.TryGetValue(settings.Path, out parsed); // validated just before: not read again (and not taken)
            }
        }

        parsed ??= WireGuardSettings.Parse(settings, problems, readKeyFiles: false);
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
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings settings = ValidatedOrParse(context.Settings, problems);
        if (problems.Count > 0)
        {
            settings.WipeSecrets();
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        return WireGuardStage.Create(context, settings, context.BatchSize, ValidatedOrParse);
    }
}
