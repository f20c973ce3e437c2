using RouterHost.Configuration;
using RouterHost.Cli;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

/// <summary>
/// What <c>routerhost validate</c> says about routes the router makes by itself: which interface keeps the peers'
/// kernel routes (or that it cannot choose), a full tunnel's policy routing, and interfaces or peers no route reaches.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KernelRouteValidationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _key;
    private readonly string _peerKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public KernelRouteValidationTests()
    {
        _key = _dir.WriteFile("wg.key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(_key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_only_TUN_keeps_the_peers_kernel_routes_and_validate_says_so()
    {
        var (exit, output, error) = Validate(Config("""[ "10.9.0.0/16", "fd09::/48" ]""", """ "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } } """));

        Assert.True(exit == 0, error);
        Assert.Contains("note: Interfaces:tun0:KernelRoutes: the peers' AllowedIPs (10.9.0.0/16, fd09::/48) become kernel routes on interface 'tun0' (the only interface through which the host's own stack reaches the router)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("full tunnel", output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void A_full_tunnel_peer_is_explained_as_wg_quick_s_policy_routing()
    {
        var (exit, output, error) = Validate(Config("""[ "0.0.0.0/0" ]""", """ "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } } """));

        Assert.True(exit == 0, error);
        Assert.Contains("a peer allows a default route (full tunnel)", output, StringComparison.Ordinal);
        Assert.Contains("`not fwmark M table M`", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_two_TUNs_validate_asks_which_one_instead_of_guessing()
    {
        var (exit, output, error) = Validate(Config("""[ "10.9.0.0/16" ]""",
            """ "a": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } }, "b": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.1.0.1/24" ] } } """));

        Assert.True(exit == 0, error);
        Assert.Contains("warning: Interfaces: interfaces 'a', 'b' could each keep the peers' AllowedIPs as kernel routes, so none does: set \"KernelRoutes\": true on the one", error, StringComparison.Ordinal);
        Assert.DoesNotContain("note:", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Naming_one_of_two_TUNs_chooses_it_and_naming_both_is_an_error()
    {
        string one = """ "a": { "Backend": "LinuxTun", "KernelRoutes": true, "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } }, "b": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.1.0.1/24" ] } } """;
        var (exit, output, error) = Validate(Config("""[ "10.9.0.0/16" ]""", one));
        Assert.True(exit == 0, error);
        Assert.Contains("note: Interfaces:a:KernelRoutes: the peers' AllowedIPs (10.9.0.0/16) become kernel routes on interface 'a' (as its KernelRoutes says)", output, StringComparison.Ordinal);

        var (exit2, _, error2) = Validate(Config("""[ "10.9.0.0/16" ]""", one.Replace("\"LinuxTun\", \"Settings\"", "\"LinuxTun\", \"KernelRoutes\": true, \"Settings\"", StringComparison.Ordinal)));
        Assert.Equal(1, exit2);
        Assert.Contains("error: Interfaces:b:KernelRoutes: only one interface keeps the peers' kernel routes, and interface 'a' already does", error2, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelRoutes_false_leaves_the_host_s_routes_alone_and_says_what_the_host_then_lacks()
    {
        var (exit, output, error) = Validate(Config("""[ "10.9.0.0/16" ]""", """ "tun0": { "Backend": "LinuxTun", "KernelRoutes": false, "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } } """));

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("note:", output, StringComparison.Ordinal);
        Assert.Contains("warning: Pipeline:Stages:1:Settings:Peers:b:AllowedIPs: no kernel route points 10.9.0.0/16 into the router (KernelRoutes is false)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hub_s_many_prefixes_are_named_up_to_eight_and_counted_after()
    {
        var (exit, output, error) = Validate(ManyPeers(12, """ "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } } """));

        Assert.True(exit == 0, error);
        Assert.Contains("the peers' AllowedIPs (12 prefixes: 10.9.0.0/24, 10.9.1.0/24, 10.9.2.0/24, 10.9.3.0/24, 10.9.4.0/24, 10.9.5.0/24, 10.9.6.0/24, 10.9.7.0/24, and 4 more) become kernel routes on interface 'tun0'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.8.0/24", output, StringComparison.Ordinal);
    }

    [Fact]
    public void With_KernelRoutes_false_many_peers_get_one_warning_not_one_each()
    {
        string tun = """ "tun0": { "Backend": "LinuxTun", "KernelRoutes": false, "Settings": { "Mtu": 1420, "Addresses": [ "10.0.0.1/24" ] } } """;
        var (exit, _, error) = Validate(ManyPeers(9, tun));

        Assert.True(exit == 0, error);
        Assert.Contains("warning: Interfaces:tun0:KernelRoutes: no kernel route points the AllowedIPs of 9 peers: 'p00', 'p01', 'p02', 'p03', 'p04', 'p05', 'p06', 'p07', and 1 more into the router (KernelRoutes is false)", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n'), line => line.Contains("no kernel route points", StringComparison.Ordinal));

        // Eight or fewer: one warning each, at the peer's own AllowedIPs.
        var (_, _, few) = Validate(ManyPeers(8, tun));
        Assert.Equal(8, few.Split('\n').Count(line => line.Contains("no kernel route points 10.9.", StringComparison.Ordinal)));
        Assert.Contains("warning: Pipeline:Stages:1:Settings:Peers:p07:AllowedIPs: no kernel route points 10.9.7.0/24 into the router", few, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(3, "i0, i1, i2")]
    [InlineData(8, "i0, i1, i2, i3, i4, i5, i6, i7")]
    [InlineData(10000, "10000 things: i0, i1, i2, i3, i4, i5, i6, i7, and 9992 more")]
    public void Long_lists_name_eight_and_count_the_rest(int count, string expected) =>
        Assert.Equal(expected, ConfigurationValidator.Listed(Enumerable.Range(0, count).Select(i => $"i{i}").ToList(), "things"));

    [Fact]
    public void A_value_other_than_true_or_false_is_an_error_with_its_key_path()
    {
        var (exit, _, error) = Validate(Config("""[ "10.9.0.0/16" ]""", """ "tun0": { "Backend": "LinuxTun", "KernelRoutes": "maybe", "Settings": { "Mtu": 1420 } } """));

        Assert.Equal(1, exit);
        Assert.Contains("error: Interfaces:tun0:KernelRoutes: must be true", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interface_and_a_peer_that_no_route_reaches_are_warnings_with_the_fix()
    {
        var (exit, _, error) = Validate(Config("[]", """ "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420 } } """));

        Assert.True(exit == 0, error);
        Assert.Contains("warning: Interfaces:tun0: no route leads to interface 'tun0': it has no Addresses (which would be connected routes) and no route in Pipeline:Stages:0:Settings:Routes names it", error, StringComparison.Ordinal);
        Assert.Contains("Give it an address (Interfaces:tun0:Settings:Addresses) or add a route { \"Destination\": \"<prefix>\", \"Interface\": \"tun0\" }", error, StringComparison.Ordinal);
        Assert.Contains("warning: Pipeline:Stages:1:Settings:Peers:b: no route leads to peer 'b': it has no AllowedIPs", error, StringComparison.Ordinal);
        Assert.Contains("List the prefixes behind it in Pipeline:Stages:1:Settings:Peers:b:AllowedIPs", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_route_reaches_an_interface_without_addresses_and_a_peer_without_AllowedIPs()
    {
        string routing = """{ "Routes": [ { "Destination": "10.5.0.0/16", "Interface": "tun0" }, { "Destination": "10.6.0.0/16", "Peer": "b" } ] }""";
        var (exit, _, error) = Validate(Config("[]", """ "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420 } } """, routing));

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("no route leads", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "a:-:yes" }, "a", false)]
    [InlineData(new[] { "a:-:yes", "b:-:yes" }, null, false)]
    [InlineData(new[] { "a:-:yes", "b:false:yes" }, "a", false)]
    [InlineData(new[] { "a:-:yes", "b:true:yes" }, "b", false)]
    [InlineData(new[] { "a:true:no" }, null, true)]
    [InlineData(new[] { "a:true:yes", "b:true:yes" }, null, true)]
    [InlineData(new[] { "x:-:no" }, null, false)]
    public void The_choice_of_interface_is_the_named_one_else_the_only_able_one_else_none(string[] candidates, string? chosen, bool error)
    {
        var parsed = candidates.Select(c => c.Split(':')).Select(p => (p[0], p[1] == "-" ? (bool?)null : bool.Parse(p[1]), p[2] == "yes")).ToList();

        KernelRouteChoice choice = KernelRoutes.Choose(parsed);

        Assert.Equal(chosen, choice.Interface);
        Assert.Equal(error, choice.Error is not null);
    }

    private string Config(string allowedIps, string interfaces, string routing = "{}") => _dir.WriteFile($"c{Guid.NewGuid():N}.json", $$"""
        {
          "Pipeline": { "Stages": [
            { "Type": "Routing", "Settings": {{routing}} },
            { "Type": "WireGuard", "Name": "wg", "Settings": { "PrivateKeyFile": "{{_key}}",
              "Peers": { "b": { "PublicKey": "{{_peerKey}}", "AllowedIPs": {{allowedIps}} } } } } ] },
          "Interfaces": { {{interfaces}} }
        }
        """);

    /// <summary>A configuration with <paramref name="count"/> peers p00, p01, … each allowing 10.9.i.0/24.</summary>
    private string ManyPeers(int count, string interfaces)
    {
        string peers = string.Join(",\n", Enumerable.Range(0, count).Select(i =>
            $$"""        "p{{i:00}}": { "PublicKey": "{{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}}", "AllowedIPs": [ "10.9.{{i}}.0/24" ] }"""));
        return _dir.WriteFile($"m{Guid.NewGuid():N}.json", $$"""
            {
              "Pipeline": { "Stages": [
                { "Type": "Routing" },
                { "Type": "WireGuard", "Name": "wg", "Settings": { "PrivateKeyFile": "{{_key}}", "Peers": {
            {{peers}} } } } ] },
              "Interfaces": { {{interfaces}} }
            }
            """);
    }

    private static (int Exit, string Output, string Error) Validate(string file)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = Program.CreateRootCommand().Parse(["validate", "--config", file, $"Plugins:Path={RepositoryPaths.HostPlugins}"]);
        int exit = ValidateCommand.Run(parse, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
