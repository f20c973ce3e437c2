using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// The settings of a WireGuard stage under test, as its configuration section: <paramref name="keys"/>' private key
/// file, a port the kernel picks on 127.0.0.1, one socket; then any other keys, then peers (a public key, one allowed
/// prefix, an endpoint when given). And the stage those settings make, as the host would create it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class StageSettings
{
    /// <summary>The section; <paramref name="extra"/> keys are relative to it ("Mtu", "Peers:p:PersistentKeepalive").</summary>
    public static IConfigurationSection Section(KeyPair keys, (string Key, string Value)[] extra, params (string Name, string PublicKey, string Allowed, string? Endpoint)[] peers)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new Dictionary<string, string?>
        {
            ["s:PrivateKeyFile"] = keys.PrivateKeyFile,
            ["s:ListenPort"] = "0",
            ["s:ListenAddresses:0"] = "127.0.0.1",
            ["s:Sockets"] = "1",
        };
        foreach (var (name, publicKey, allowed, endpoint) in peers)
        {
            values[$"s:Peers:{name}:PublicKey"] = publicKey;
            values[$"s:Peers:{name}:AllowedIPs:0"] = allowed;
            if (endpoint is not null)
            {
                values[$"s:Peers:{name}:Endpoint"] = endpoint;
            }
        }

        foreach ((string key, string value) in extra)
        {
            values[$"s:{key}"] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("s");
    }

    /// <summary>The stage "wg" with <paramref name="settings"/>, its ports in <paramref name="ports"/> (a fresh registry when null).</summary>
    public static WireGuardStage Create(IConfigurationSection settings, PortRegistry? ports = null, ILoggerFactory? logs = null)
    {
        var context = new StageContext("wg", settings, logs ?? NullLoggerFactory.Instance, ports ?? new PortRegistry(), 0, 1);
        return (WireGuardStage)new WireGuardStagePlugin().Create(context);
    }
}
