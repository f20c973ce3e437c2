using System.Text;
using System.Text.Json;
using RouterHost.Migration;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// A wg-quick configuration file as UTF-8, through <see cref="WgQuickParser"/> as <c>routerhost import wg-quick</c>
/// reads it, and, when it parses, through <see cref="WgQuickImporter.Plan"/> (which builds the configuration and key
/// files in memory; nothing is written). Invariants: the parser answers with a configuration exactly when it reports no
/// error; every error and warning names a line of the file (or 0, the file) and says what is wrong; a plan's
/// configuration is a JSON object with the stages and the interface, and each key file holds one WireGuard key.
/// </summary>
internal sealed class WgQuickTarget : IFuzzTarget
{
    public const string TargetName = "wgquick";

    private const string Key1 = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    private const string Key2 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    private readonly byte[] _key = new byte[WireGuardKey.Size];

    public string Name => TargetName;

    public string Description => "wg-quick configuration files (routerhost import wg-quick): the parser and the plan it leads to";

    public void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        var errors = new List<WgQuickProblem>();
        var warnings = new List<WgQuickProblem>();
        WgQuickConfig? config = WgQuickParser.Parse(text, "fuzz.conf", errors, warnings);
        InvariantViolationException.Check((config is null) == (errors.Count > 0), "a configuration comes back exactly when there is no error");
        int lines = text.Split('\n').Length;
        foreach (WgQuickProblem problem in errors.Concat(warnings))
        {
            InvariantViolationException.Check(problem.Line >= 0 && problem.Line <= lines, "a problem names a line of the file");
            InvariantViolationException.Check(!string.IsNullOrWhiteSpace(problem.Message), "a problem says what is wrong");
        }

        if (config is null)
        {
            return;
        }

        var planErrors = new List<WgQuickProblem>();
        ImportPlan plan = WgQuickImporter.Plan(config, "/etc/wireguard/fuzz0.conf", "/nonexistent/out", planErrors);
        using JsonDocument json = JsonDocument.Parse(plan.Files[0].Content);
        InvariantViolationException.Check(json.RootElement.GetProperty("Pipeline").GetProperty("Stages").GetArrayLength() == 2, "the plan has the Routing and WireGuard stages");
        InvariantViolationException.Check(json.RootElement.GetProperty("Interfaces").TryGetProperty("fuzz0", out _), "the plan has the interface named after the file");
        foreach (ImportFile file in plan.Files.Skip(1))
        {
            InvariantViolationException.Check(file.Secret && WireGuardKey.TryParse(Encoding.ASCII.GetString(file.Content), _key, out _), "each key file holds one WireGuard key");
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("hub", Encoding.UTF8.GetBytes($"""
            # hub
            [Interface]
            PrivateKey = {Key1}
            Address = 10.88.0.1/24, fd88::1/64
            ListenPort = 51820
            DNS = 10.88.0.53, corp.example
            MTU = 1420
            PostUp = iptables -A FORWARD -i %i -j ACCEPT
            SaveConfig = false

            [Peer]
            PublicKey = {Key2}
            PresharedKey = {Key1}
            AllowedIPs = 10.88.0.2/32, fd88::2/128
            Endpoint = 192.0.2.2:51830
            PersistentKeepalive = 25
            """));
        yield return new("client", Encoding.UTF8.GetBytes($"[Interface]\nPrivateKey={Key1}\nAddress=10.99.0.2/32\nFwMark=0xca6c\nTable=off\n[Peer]\nPublicKey={Key2}\nAllowedIPs=0.0.0.0/0,::/0\nEndpoint=[2001:db8::1]:51820\n"));
        yield return new("whitespace", Encoding.UTF8.GetBytes($"[ interface ]\r\n private key = {Key1} # c\r\n[PEER]\r\npublic key={Key2}\r\nendpoint=vpn.example.net:51820\r\n"));
        yield return new("bad", Encoding.UTF8.GetBytes("[Interface]\nPrivateKey = x\nFoo = 1\n[Peer]\nAllowedIPs = 10.0.0.0/33,,\n[Nope]\n"));
    }
}
