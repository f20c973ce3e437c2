using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;

namespace RouterHost.Tests.Configuration;

/// <summary><c>Metrics:Prometheus</c>: off, a port (on loopback), or an address and port; anything else a problem naming the key.</summary>
public sealed class MetricsSettingsTests
{
    private static (IPEndPoint? Address, List<ConfigurationProblem> Problems) Read(string? value)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ConfigurationKeys.MetricsPrometheus] = value }).Build();
        var problems = new List<ConfigurationProblem>();
        return (RouterOptionsReader.ReadPrometheusAddress(configuration.GetSection(ConfigurationKeys.MetricsPrometheus), problems), problems);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("off", null)]
    [InlineData("OFF", null)]
    [InlineData("9586", "127.0.0.1:9586")]
    [InlineData("127.0.0.1:9586", "127.0.0.1:9586")]
    [InlineData(" 0.0.0.0:1 ", "0.0.0.0:1")]
    [InlineData("[::1]:9586", "[::1]:9586")]
    [InlineData("[::]:65535", "[::]:65535")]
    public void Accepted_values(string? value, string? expected)
    {
        (IPEndPoint? address, List<ConfigurationProblem> problems) = Read(value);
        Assert.Empty(problems);
        Assert.Equal(expected, address?.ToString());
    }

    [Theory]
    [InlineData("on")]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("::1")]
    [InlineData("::1:9586")]
    [InlineData("[::1]")]
    [InlineData("[fe80::1%2]:9586")]
    [InlineData("localhost:9586")]
    [InlineData("http://127.0.0.1:9586/metrics")]
    [InlineData("1.2.3.4:5:6")]
    [InlineData("\u0000")]
    public void Malformed_values_are_a_problem_naming_the_key_path_and_the_value(string value)
    {
        (IPEndPoint? address, List<ConfigurationProblem> problems) = Read(value);
        Assert.Null(address);
        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(ConfigurationKeys.MetricsPrometheus, problem.Path);
        Assert.Contains("127.0.0.1:9586", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_text_gives_an_address_with_a_real_port_or_one_problem_and_never_throws()
    {
        Gen<char> chars = Gen.Elements("0123456789.:[]%abcdefoxABCDEF -/\u0000".ToCharArray());
        Gen<string> text = Gen.OneOf(
            Gen.Choose(0, 24).SelectMany(n => Gen.ArrayOf(chars, n)).Select(c => new string(c)),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));
        Prop.ForAll(text.ToArbitrary(), value =>
        {
            (IPEndPoint? address, List<ConfigurationProblem> problems) = Read(value);
            if (address is null)
            {
                return problems.Count <= 1;
            }

            // What is accepted reads back the same when written as the endpoint's text.
            (IPEndPoint? again, List<ConfigurationProblem> none) = Read(address.ToString());
            return problems.Count == 0 && address.Port is > 0 and <= 65535 && none.Count == 0 && address.Equals(again);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Unknown_keys_under_Metrics_and_Log_are_reported()
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Metrics:Prometheous"] = "9586",
            ["Log:Formatt"] = "json",
        }).Build();
        var problems = new List<ConfigurationProblem>();
        RouterOptionsReader.Read(configuration, AppContext.BaseDirectory, problems);
        Assert.Contains(problems, p => p.Path == "Metrics:Prometheous");
        Assert.Contains(problems, p => p.Path == "Log:Formatt");
    }
}
