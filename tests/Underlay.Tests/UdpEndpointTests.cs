using System.Net;
using System.Runtime.CompilerServices;
using FsCheck;
using FsCheck.Fluent;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay.Tests;

public sealed class UdpEndpointTests
{
    [Theory]
    [InlineData("192.0.2.1:51820", "192.0.2.1", 51820)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("255.255.255.255:65535", "255.255.255.255", 65535)]
    [InlineData("[2001:db8::1]:51820", "2001:db8::1", 51820)]
    [InlineData("[::]:1", "::", 1)]
    [InlineData("[fe80::1%2]:51820", "fe80::1%2", 51820)]
    [InlineData("[::ffff:192.0.2.7]:9", "192.0.2.7", 9)]
    public void Valid_endpoints_parse_to_their_address_and_port(string text, string address, int port)
    {
        Assert.True(UdpEndpoint.TryParse(text, out UdpEndpoint endpoint, out string? problem), problem);
        Assert.Null(problem);
        Assert.Equal(UdpEndpoint.Create(IPAddress.Parse(address), (ushort)port), endpoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint.ToIPEndPoint());
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("192.0.2.1", "has no port")]
    [InlineData("192.0.2.1:", "not a number from 0 to 65535")]
    [InlineData(":51820", "is not an IPv4 address")]
    [InlineData("192.0.2.1:65536", "not a number from 0 to 65535")]
    [InlineData("192.0.2.1:123456", "not a number from 0 to 65535")]
    [InlineData("192.0.2.1:-1", "not a number from 0 to 65535")]
    [InlineData("192.0.2.1:+1", "not a number from 0 to 65535")]
    [InlineData("192.0.2.1:0x10", "not a number from 0 to 65535")]
    [InlineData("192.0.2.1::5", "must be in brackets")]
    [InlineData("2001:db8::1:51820", "must be in brackets")]
    [InlineData("[2001:db8::1]", "needs ':port'")]
    [InlineData("[2001:db8::1]51820", "needs ':port'")]
    [InlineData("[2001:db8::1]:", "not a number from 0 to 65535")]
    [InlineData("[2001:db8::1", "without closing it")]
    [InlineData("[192.0.2.1]:5", "brackets are only for IPv6")]
    [InlineData("[]:5", "is not an IPv6 address")]
    [InlineData("[2001:db8::g]:5", "is not an IPv6 address")]
    [InlineData("[2001:db8:::1]:5", "is not an IPv6 address")]
    [InlineData("192.0.2:5", "is not an IPv4 address")]
    [InlineData("1:5", "is not an IPv4 address")]
    [InlineData("192.0.2.1.5:5", "is not an IPv4 address")]
    [InlineData("192.0..1:5", "is not an IPv4 address")]
    [InlineData("010.0.0.1:5", "is not an IPv4 address")]
    [InlineData("256.0.0.1:5", "is not an IPv4 address")]
    [InlineData("1000.0.0.1:5", "is not an IPv4 address")]
    [InlineData("example.com:51820", "host names must be resolved")]
    [InlineData("wg-peer:51820", "host names must be resolved")]
    [InlineData(" 192.0.2.1:5", "whitespace")]
    [InlineData("192.0.2.1:5 ", "whitespace")]
    [InlineData("192.0.2.1:5\n", "whitespace")]
    [InlineData("192.0.2.1:5\0", "whitespace or control")]
    public void Malformed_endpoints_are_refused_saying_why(string text, string expected)
    {
        Assert.False(UdpEndpoint.TryParse(text, out UdpEndpoint endpoint, out string? problem));
        Assert.True(endpoint.IsNone);
        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }

    [Fact]
    public void A_null_text_is_refused_as_empty()
    {
        Assert.False(UdpEndpoint.TryParse((string?)null, out _, out string? problem));
        Assert.Contains("is empty", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void IPv4_mapped_addresses_normalise_to_IPv4()
    {
        UdpEndpoint mapped = UdpEndpoint.Create(IPAddress.Parse("::ffff:10.1.2.3"), 7);
        UdpEndpoint plain = UdpEndpoint.Create(IPAddress.Parse("10.1.2.3"), 7);
        Assert.Equal(plain, mapped);
        Assert.Equal(plain.GetHashCode(), mapped.GetHashCode());
        Assert.False(mapped.IsIPv6);
        Assert.True(mapped.IsIPv4);
        Assert.Equal("10.1.2.3:7", mapped.ToString());

        var sockaddr = new sockaddr_in6 { sin6_family = AF_INET6, sin6_port = 0x0700, sin6_scope_id = 5 };
        byte[] bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3];
        bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<in6_addr>(ref sockaddr.sin6_addr)));
        UdpEndpoint fromKernel = UdpEndpoint.FromSockaddr(sockaddr);
        Assert.Equal(plain, fromKernel);
        Assert.Equal(0u, fromKernel.ScopeId);
    }

    [Fact]
    public void Socket_addresses_convert_both_ways()
    {
        UdpEndpoint v4 = UdpEndpoint.Create(IPAddress.Parse("192.0.2.9"), 51820);
        sockaddr_in in4 = v4.ToSockaddrIn();
        Assert.Equal(AF_INET, in4.sin_family);
        Assert.Equal((ushort)((51820 >> 8) | ((51820 & 0xff) << 8)), in4.sin_port);
        Assert.Equal(v4, UdpEndpoint.FromSockaddr(in4));
        Assert.Equal(v4, UdpEndpoint.FromSockaddr(v4.ToSockaddrIn6()));

        UdpEndpoint v6 = UdpEndpoint.Create(IPAddress.Parse("fe80::1234%9"), 443);
        sockaddr_in6 in6 = v6.ToSockaddrIn6();
        Assert.Equal(AF_INET6, in6.sin6_family);
        Assert.Equal(9u, in6.sin6_scope_id);
        Assert.Equal(v6, UdpEndpoint.FromSockaddr(in6));
        Assert.Throws<InvalidOperationException>(() => v6.ToSockaddrIn());
        Assert.Throws<InvalidOperationException>(() => UdpEndpoint.None.ToSockaddrIn6());
        Assert.True(UdpEndpoint.FromSockaddr(new sockaddr_in { sin_family = AF_INET6 }).IsNone);
        Assert.True(UdpEndpoint.FromSockaddr(new sockaddr_in6 { sin6_family = AF_INET }).IsNone);
    }

    [Fact]
    public void The_address_bytes_are_written_for_hashing_and_cookies()
    {
        Span<byte> buffer = stackalloc byte[16];
        Assert.Equal(4, UdpEndpoint.Create(IPAddress.Parse("192.0.2.9"), 1).WriteAddress(buffer));
        Assert.Equal(new byte[] { 192, 0, 2, 9 }, buffer[..4].ToArray());
        Assert.Equal(16, UdpEndpoint.Create(IPAddress.Parse("2001:db8::5"), 1).WriteAddress(buffer));
        Assert.Equal(IPAddress.Parse("2001:db8::5").GetAddressBytes(), buffer.ToArray());
        Assert.Equal(0, UdpEndpoint.None.WriteAddress(buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpEndpoint.Create(IPAddress.IPv6Loopback, 1).WriteAddress(new byte[8]));
    }

    [Fact]
    public void Endpoints_differ_by_port_scope_and_family_and_are_blittable()
    {
        UdpEndpoint a = UdpEndpoint.Create(IPAddress.Parse("fe80::1%1"), 5);
        Assert.NotEqual(a, UdpEndpoint.Create(IPAddress.Parse("fe80::1%2"), 5));
        Assert.NotEqual(a, UdpEndpoint.Create(IPAddress.Parse("fe80::1%1"), 6));
        Assert.NotEqual(UdpEndpoint.Create(IPAddress.Parse("0.0.0.0"), 0), UdpEndpoint.None);
        Assert.True(a == UdpEndpoint.Create(IPAddress.Parse("fe80::1%1"), 5));
        Assert.True(a != UdpEndpoint.None);
        Assert.Equal("none", UdpEndpoint.None.ToString());
        Assert.Equal(24, Unsafe.SizeOf<UdpEndpoint>());
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<UdpEndpoint>());
        Assert.Throws<ArgumentException>(() => UdpEndpoint.Create(new byte[5], 1));
    }

    [Fact]
    public void Any_endpoint_round_trips_through_its_text_and_IPEndPoint()
    {
        Gen<UdpEndpoint> endpoints =
            from v6 in ArbMap.Default.GeneratorFor<bool>()
            from bytes in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), v6 ? 16 : 4)
            from mapped in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
            from scope in Gen.Frequency((3, Gen.Constant(0u)), (1, ArbMap.Default.GeneratorFor<uint>()))
            from port in Gen.Choose(0, 65535)
            select mapped && v6
                ? UdpEndpoint.Create(IPAddress.Parse($"::ffff:{bytes[0]}.{bytes[1]}.{bytes[2]}.{bytes[3]}"), (ushort)port)
                : UdpEndpoint.Create(bytes, (ushort)port, scope);
        Prop.ForAll(endpoints.ToArbitrary(), endpoint =>
        {
            string text = endpoint.ToString();
            return UdpEndpoint.TryParse(text, out UdpEndpoint parsed, out string? problem)
                && problem is null
                && parsed == endpoint
                && UdpEndpoint.Create(endpoint.ToIPEndPoint().Address, (ushort)endpoint.ToIPEndPoint().Port) == endpoint
                && UdpEndpoint.FromSockaddr(endpoint.ToSockaddrIn6()) == endpoint;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void Parsing_random_text_never_throws_and_either_succeeds_or_says_why()
    {
        Gen<char> endpointChars = Gen.Elements("0123456789abcdefABCDEFxg.:[]%-+ \t\n\0ÿ€".ToCharArray());
        Gen<string> nearMisses = Gen.ArrayOf(endpointChars).Select(cs => new string(cs));
        Gen<string> mutated =
            from seed in Gen.Elements("192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%3]:1", "0.0.0.0:0")
            from position in Gen.Choose(0, 20)
            from c in endpointChars
            from delete in ArbMap.Default.GeneratorFor<bool>()
            select Mutate(seed, position, c, delete);
        Gen<string> texts = Gen.OneOf(ArbMap.Default.GeneratorFor<string>().Select(s => s ?? string.Empty), nearMisses, mutated);
        Prop.ForAll(texts.ToArbitrary(), text =>
        {
            bool parsed = UdpEndpoint.TryParse(text, out UdpEndpoint endpoint, out string? problem);
            return parsed
                ? problem is null && !endpoint.IsNone && UdpEndpoint.TryParse(endpoint.ToString(), out UdpEndpoint again, out _) && again == endpoint
                : problem is { Length: > 0 } && endpoint.IsNone;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    private static string Mutate(string seed, int position, char c, bool delete)
    {
        int at = Math.Min(position, seed.Length - 1);
        return delete ? seed.Remove(at, 1) : seed.Insert(at, c.ToString());
    }
}
