using FsCheck;
using FsCheck.Fluent;
using RouterHost.Migration;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Tests.Migration;

/// <summary>The wg-quick parser: the real-style files, wg's grammar, malformed input, and properties over generated files.</summary>
public sealed class WgQuickParserTests
{
    private const string Key1 = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    private const string Key2 = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
    private const string Key3 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";

    private static string DataFolder => Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick");

    public static TheoryData<string> DataFiles { get; } = new(Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick"), "*.conf").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(DataFiles))]
    public void Every_real_style_file_parses_and_Debian_wg_agrees_on_its_keys_and_peers(string name)
    {
        string path = Path.Combine(DataFolder, name);
        WgQuickConfig config = ParseOk(File.ReadAllText(path));
        Assert.NotEmpty(config.Peers);

        // wg's own reading of the same file (wg-quick's keys stripped): `wg-quick strip` is what wg-quick itself feeds wg.
        ExecResult strip = ChildProcess.Run("/usr/bin/wg-quick", ["strip", path]);
        Assert.True(strip.Succeeded, strip.StdErr);
        Assert.DoesNotContain("Address", strip.StdOut, StringComparison.OrdinalIgnoreCase);
        foreach (WgQuickPeer peer in config.Peers)
        {
            Assert.Contains(WireGuardKey.Format(peer.PublicKey!.Value.Value), strip.StdOut, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_hub_file_reads_as_wg_and_wg_quick_read_it()
    {
        WgQuickConfig config = ParseOk(File.ReadAllText(Path.Combine(DataFolder, "wg0.conf")));
        Assert.Equal(["10.88.0.1/24", "fd88::1/64"], config.Addresses.Select(a => a.ToString()));
        Assert.Equal(51820, config.ListenPort?.Value);
        Assert.Equal(1420, config.Mtu?.Value);
        Assert.Equal(["DNS", "PostUp", "PostDown", "SaveConfig"], config.NotCarried.Select(d => d.Key));
        Assert.Equal(3, config.Peers.Count);
        Assert.NotNull(config.Peers[0].PresharedKey);
        Assert.Equal("192.168.77.2:51830", config.Peers[0].Endpoint?.ToString());
        Assert.Equal(25, config.Peers[0].PersistentKeepalive?.Value);
        Assert.Equal(["10.88.0.3/32", "fd88::3/128"], config.Peers[1].AllowedIPs.Select(p => p.ToString()));
        Assert.Null(config.Peers[1].Endpoint);
        Assert.Equal("[fd77::4]:51820", config.Peers[2].Endpoint?.ToString());
        Assert.Equal(["10.89.0.0/16", "fd89::/48"], config.Peers[2].AllowedIPs.Select(p => p.ToString()));
    }

    [Fact]
    public void Whitespace_anywhere_case_and_comments_follow_wg()
    {
        string text = $"  # leading comment\r\n[ interface ]\r\n  private key\t=\t{Key1}  # trailing\r\nListen Port=5 1820\nfwmark = 0x10\n\n[PEER]\nPublicKey={Key2}\nAllowed IPs = 10.0.0.0 / 8 , fd00::/8\nENDPOINT = vpn.example.net:51820\npersistentkeepalive = off\n";
        WgQuickConfig config = ParseOk(text);
        Assert.Equal(51820, config.ListenPort?.Value);
        Assert.Equal(16u, config.FwMark?.Value);
        Assert.Equal(["10.0.0.0/8", "fd00::/8"], config.Peers[0].AllowedIPs.Select(p => p.ToString()));
        Assert.Equal("vpn.example.net:51820", config.Peers[0].Endpoint?.ToString());
        Assert.Equal(0, config.Peers[0].PersistentKeepalive?.Value);
    }

    [Fact]
    public void Addresses_split_at_commas_and_spaces_and_a_bare_address_is_a_host_prefix()
    {
        WgQuickConfig config = ParseOk($"[Interface]\nPrivateKey = {Key1}\nAddress = 10.0.0.1/24 fd00::1, 192.0.2.1\nAddress = 2001:db8::1/64\n");
        Assert.Equal(["10.0.0.1/24", "fd00::1/128", "192.0.2.1/32", "2001:db8::1/64"], config.Addresses.Select(a => a.ToString()));
    }

    [Fact]
    public void Host_bits_in_allowed_ips_are_a_warning_and_cleared_as_wg_does()
    {
        var warnings = new List<WgQuickProblem>();
        WgQuickConfig config = ParseOk($"[Interface]\nPrivateKey = {Key1}\n[Peer]\nPublicKey = {Key2}\nAllowedIPs = 10.1.2.3/16\n", warnings);
        Assert.Equal("10.1.0.0/16", config.Peers[0].AllowedIPs[0].ToString());
        WgQuickProblem warning = Assert.Single(warnings);
        Assert.Equal(5, warning.Line);
    }

    [Fact]
    public void An_unbracketed_IPv6_endpoint_takes_the_port_after_the_last_colon_as_wg_does()
    {
        WgQuickConfig config = ParseOk($"[Interface]\nPrivateKey = {Key1}\n[Peer]\nPublicKey = {Key2}\nEndpoint = fd00::7:51820\n");
        Assert.Equal("[fd00::7]:51820", config.Peers[0].Endpoint?.ToString());
    }

    [Theory]
    [InlineData("PrivateKey = abc", 2, "PrivateKey is not a WireGuard key")]
    [InlineData("PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk", 2, "PrivateKey is not a WireGuard key")]
    [InlineData("Foo = 1", 3, "unknown key 'Foo' in [Interface]")]
    [InlineData("PublicKey = " + Key2, 3, "PublicKey belongs in a [Peer] section")]
    [InlineData("ListenPort = http", 3, "ListenPort must be a port number")]
    [InlineData("ListenPort = 65536", 3, "ListenPort must be a port number")]
    [InlineData("FwMark = 0x100000000", 3, "FwMark must be off")]
    [InlineData("FwMark = -1", 3, "FwMark must be off")]
    [InlineData("MTU = 14x", 3, "MTU must be a whole number")]
    [InlineData("Address = 10.0.0.1/33", 3, "Address '10.0.0.1/33' has a prefix length that is not 0..32")]
    [InlineData("Address = 10.1/8", 3, "Address '10.1/8' is not an IPv4 or IPv6 address")]
    [InlineData("Address = 010.0.0.1/8", 3, "is not an IPv4 or IPv6 address")]
    [InlineData("Address = fe80::1%eth0/64", 3, "is not an IPv4 or IPv6 address")]
    [InlineData("SaveConfig = yes", 3, "SaveConfig must be true or false")]
    [InlineData("ListenPort =", 3, "ListenPort has no value")]
    [InlineData("just some words", 3, "is not a 'Key = Value' line")]
    [InlineData("[Interfaces]", 3, "unknown section '[Interfaces]'")]
    public void A_malformed_interface_line_is_an_error_at_its_line(string line, int expectedLine, string expected)
    {
        string text = line.StartsWith("PrivateKey", StringComparison.Ordinal)
            ? $"[Interface]\n{line}\n"
            : $"[Interface]\nPrivateKey = {Key1}\n{line}\n";
        AssertError(text, expectedLine, expected);
    }

    [Theory]
    [InlineData("AllowedIPs = 10.0.0.0/8,", "AllowedIPs entry '' is empty")]
    [InlineData("AllowedIPs = 10.0.0.0/8,,fd00::/8", "AllowedIPs entry '' is empty")]
    [InlineData("AllowedIPs = +10.0.0.0/8", "incremental changes are for 'wg set'")]
    [InlineData("AllowedIPs = 10.0.0.0/x", "has a prefix length that is not 0..32")]
    [InlineData("AllowedIPs = fd00::/129", "has a prefix length that is not 0..128")]
    [InlineData("AllowedIPs = 300.0.0.0/8", "is not an IPv4 or IPv6 address")]
    [InlineData("Endpoint = 192.0.2.1", "has no port")]
    [InlineData("Endpoint = 192.0.2.1:", "has no port")]
    [InlineData("Endpoint = [fd00::1:51820", "has no ']'")]
    [InlineData("Endpoint = [fd00::1]51820", "has no port")]
    [InlineData("Endpoint = [vpn.example.net]:51820", "not an IPv6 address")]
    [InlineData("Endpoint = 192.0.2.1:0", "has a port that is not 1..65535")]
    [InlineData("Endpoint = 192.0.2.1:wireguard", "service names are not supported")]
    [InlineData("Endpoint = bad_host!:51820", "neither an IP address nor a DNS name")]
    [InlineData("PersistentKeepalive = 65536", "PersistentKeepalive must be off or 0..65535")]
    [InlineData("PresharedKey = " + "AAAA", "PresharedKey is not a WireGuard key")]
    [InlineData("Address = 10.0.0.1/24", "Address belongs in the [Interface] section")]
    public void A_malformed_peer_line_is_an_error_at_its_line(string line, string expected) =>
        AssertError($"[Interface]\nPrivateKey = {Key1}\n[Peer]\nPublicKey = {Key2}\n{line}\n", 5, expected);

    [Fact]
    public void A_secret_is_never_echoed_in_an_error()
    {
        string nearlyKey = Key1[..43] + "A";
        List<WgQuickProblem> errors = Errors($"[Interface]\nPrivateKey = {nearlyKey}\n");
        Assert.DoesNotContain(errors, e => e.Message.Contains(nearlyKey[..20], StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_private_key_missing_public_key_and_duplicate_public_keys_are_errors()
    {
        AssertError($"[Peer]\nPublicKey = {Key2}\n", 0, "no [Interface] section with a PrivateKey");
        AssertError($"[Interface]\nListenPort = 1\n[Peer]\nPublicKey = {Key2}\n", 1, "the [Interface] section has no PrivateKey");
        AssertError($"[Interface]\nPrivateKey = {Key1}\n[Peer]\nAllowedIPs = 10.0.0.0/8\n", 3, "this [Peer] has no PublicKey");
        AssertError($"[Interface]\nPrivateKey = {Key1}\n[Peer]\nPublicKey = {Key2}\n[Peer]\nPublicKey = {Key2}\n", 6, "is also the key of the peer at line 4");
        AssertError($"PrivateKey = {Key1}\n", 1, "outside a section");
    }

    [Fact]
    public void Every_error_of_a_bad_file_is_reported_not_only_the_first()
    {
        List<WgQuickProblem> errors = Errors($"[Interface]\nPrivateKey = x\nFoo = 1\n[Peer]\nAllowedIPs = 1.2.3.4/40\n[Nope]\n");
        Assert.Equal([2, 3, 5, 6, 4], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.StartsWith("t.conf:", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Arbitrary_text_never_throws_and_every_error_names_a_line_of_the_file()
    {
        Gen<string> piece = Gen.Elements("[Interface]", "[Peer]", "PrivateKey", "PublicKey", "AllowedIPs", "Endpoint", "Address", "=", ",", "/", ":", "[", "]", "#",
            " ", "\t", "\n", "\r\n", "\0", "10.0.0.1", "fd00::", "24", "65536", "off", "0x", Key1, Key2[..20], "é", "\u2028");
        Gen<string> text = Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(piece, n)).Select(parts => string.Concat(parts));
        Prop.ForAll(text.ToArbitrary(), input =>
        {
            var errors = new List<WgQuickProblem>();
            var warnings = new List<WgQuickProblem>();
            WgQuickConfig? config = WgQuickParser.Parse(input, "f", errors, warnings);
            int lines = input.Split('\n').Length;
            Assert.True((config is null) == (errors.Count > 0));
            Assert.All(errors.Concat(warnings), e => Assert.InRange(e.Line, 0, lines));
            Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_generated_configuration_written_with_wgs_freedoms_parses_back_to_itself()
    {
        Gen<string> space = Gen.Elements("", " ", "  ", "\t");
        Gen<string> caseOf(string key) => Gen.Elements(key, key.ToUpperInvariant(), key.ToLowerInvariant());
        Gen<string> prefix = Gen.OneOf(
            Gen.Choose(0, 255).SelectMany(a => Gen.Choose(0, 32).Select(l => Canonical($"10.{a}.0.0", l))),
            Gen.Choose(0, 65535).SelectMany(a => Gen.Choose(0, 128).Select(l => Canonical($"fd00:{a:x}::", l))));
        Gen<(string Key, string[] Allowed, int Keepalive, bool Psk)> peerGen =
            from key in Gen.Elements(Key1, Key2, Key3)
            from allowed in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(prefix, n))
            from keepalive in Gen.Choose(0, 65535)
            from psk in Gen.Elements(true, false)
            select (key, allowed, keepalive, psk);
        Gen<(int Port, (string Key, string[] Allowed, int Keepalive, bool Psk)[] Peers, string Sp, string Case)> fileGen =
            from port in Gen.Choose(0, 65535)
            from peers in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(peerGen, n))
            from sp in space
            from c in caseOf("AllowedIPs")
            select (port, peers, sp, c);

        Prop.ForAll(fileGen.ToArbitrary(), file =>
        {
            var distinct = file.Peers.DistinctBy(p => p.Key).ToArray();
            var text = new System.Text.StringBuilder();
            text.Append($"[Interface]{file.Sp}# me\nPrivateKey{file.Sp}={file.Sp}{Key3}\n{file.Sp}ListenPort = {file.Port}\n");
            foreach (var p in distinct)
            {
                text.Append($"\n[Peer]\nPublicKey ={file.Sp}{p.Key}\n");
                if (p.Psk)
                {
                    text.Append($"PresharedKey = {Key1}\n");
                }

                if (p.Allowed.Length > 0)
                {
                    text.Append($"{file.Case}{file.Sp}={string.Join($",{file.Sp}", p.Allowed)}\n");
                }

                text.Append($"PersistentKeepalive = {p.Keepalive}\n");
            }

            WgQuickConfig config = ParseOk(text.ToString());
            Assert.Equal(file.Port, config.ListenPort?.Value);
            Assert.Equal(distinct.Length, config.Peers.Count);
            for (int i = 0; i < distinct.Length; i++)
            {
                Assert.Equal(distinct[i].Key, WireGuardKey.Format(config.Peers[i].PublicKey!.Value.Value));
                Assert.Equal(distinct[i].Psk, config.Peers[i].PresharedKey is not null);
                Assert.Equal(distinct[i].Allowed.Distinct(), config.Peers[i].AllowedIPs.Select(a => a.ToString()));
                Assert.Equal(distinct[i].Keepalive, config.Peers[i].PersistentKeepalive?.Value);
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    private static string Canonical(string address, int length)
    {
        var ip = System.Net.IPAddress.Parse(address);
        byte[] bytes = ip.GetAddressBytes();
        for (int bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit >> 3] &= (byte)~(0x80 >> (bit & 7));
        }

        return $"{new System.Net.IPAddress(bytes)}/{length}";
    }

    private static WgQuickConfig ParseOk(string text, List<WgQuickProblem>? warnings = null)
    {
        var errors = new List<WgQuickProblem>();
        WgQuickConfig? config = WgQuickParser.Parse(text, "t.conf", errors, warnings ?? []);
        Assert.True(config is not null, string.Join("\n", errors));
        return config;
    }

    private static List<WgQuickProblem> Errors(string text)
    {
        var errors = new List<WgQuickProblem>();
        Assert.Null(WgQuickParser.Parse(text, "t.conf", errors, []));
        return errors;
    }

    private static void AssertError(string text, int line, string expected)
    {
        List<WgQuickProblem> errors = Errors(text);
        Assert.True(errors.Exists(e => e.Line == line && e.Message.Contains(expected, StringComparison.Ordinal)), $"expected line {line}: {expected}; got:\n{string.Join("\n", errors)}");
    }
}
