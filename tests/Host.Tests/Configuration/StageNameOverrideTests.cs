using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

/// <summary>Overrides that address a stage by its Name (<c>Pipeline:Stages:wg0:...</c>) instead of its position.</summary>
public sealed class StageNameOverrideTests
{
    private const string Chain = """
        { "Pipeline": { "Stages": [ { "Type": "Firewall" }, { "Type": "Routing" }, { "Type": "WireGuard", "Name": "wg0", "Settings": { "ListenPort": 51820 } } ] } }
        """;

    [Fact]
    public void A_named_override_lands_on_the_stage_of_that_name_and_a_positional_one_still_works()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("a.json", Chain);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], ["Pipeline:Stages:wg0:Settings:ListenPort=51821", "Pipeline:Stages:routing:Settings:DecrementTtl=false", "Pipeline:Stages:0:Settings:X=1"]);
        Assert.Equal("51821", configuration["Pipeline:Stages:2:Settings:ListenPort"]);
        Assert.Equal("false", configuration["Pipeline:Stages:1:Settings:DecrementTtl"]);
        Assert.Equal("1", configuration["Pipeline:Stages:0:Settings:X"]);
        Assert.Contains(configuration.GetSection("Pipeline:Stages:2:Settings").GetChildren(), c => c.Key == "ListenPort" && c.Value == "51821");
        Assert.Equal(["0", "1", "2"], configuration.GetSection("Pipeline:Stages").GetChildren().Select(c => c.Key));
        Assert.Empty(Problems(configuration));
    }

    [Fact]
    public void A_named_override_follows_its_stage_when_the_file_moves_it()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("a.json", Chain);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], ["Pipeline:Stages:wg0:Settings:ListenPort=51821"]);
        File.WriteAllText(file, """{ "Pipeline": { "Stages": [ { "Type": "WireGuard", "Name": "wg0" }, { "Type": "Routing" } ] } }""");
        configuration.Reload();
        Assert.Equal("51821", configuration["Pipeline:Stages:0:Settings:ListenPort"]);
        Assert.Null(configuration["Pipeline:Stages:2:Settings:ListenPort"]);
    }

    [Fact]
    public void A_name_that_matches_no_stage_is_a_problem_listing_the_stages()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("a.json", Chain);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], ["Pipeline:Stages:wg9:Settings:ListenPort=1"]);
        ConfigurationProblem problem = Assert.Single(Problems(configuration));
        Assert.Equal("Pipeline:Stages:wg9", problem.Path);
        Assert.Contains("no stage has that Name", problem.Message, StringComparison.Ordinal);
        Assert.Contains("'Firewall' (0), 'Routing' (1), 'wg0' (2)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_two_stages_share_is_a_problem_naming_both()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("a.json", """{ "Pipeline": { "Stages": [ { "Type": "Routing" }, { "Type": "Firewall", "Name": "routing" } ] } }""");
        IConfigurationRoot configuration = RouterConfiguration.Build([file], ["Pipeline:Stages:Routing:Settings:DecrementTtl=false"]);
        Assert.Contains(Problems(configuration), p => p.Path == "Pipeline:Stages:Routing" && p.Message.Contains("stages 0 and 1", StringComparison.Ordinal));
        Assert.Null(configuration["Pipeline:Stages:0:Settings:DecrementTtl"]);
    }

    [Fact]
    public void An_environment_variable_names_a_stage_in_a_real_routerhost_validate()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("a.json", """{ "Pipeline": { "Stages": [ { "Type": "Routing" }, { "Type": "Routing", "Name": "second" } ] } }""");
        using (RouterHostProcess ok = RouterHostProcess.Start(["validate", "--config", file], new Dictionary<string, string> { ["ROUTERHOST__Pipeline__Stages__second__Settings__DecrementTtl"] = "maybe" }))
        {
            Assert.True(ok.WaitForExit(RouterHostProcess.RunTimeout));
            Assert.Equal(1, ok.ExitCode);
            Assert.Contains("error: Pipeline:Stages:1:Settings:DecrementTtl: must be true or false (got 'maybe')", ok.Output, StringComparison.Ordinal);
        }

        using RouterHostProcess missing = RouterHostProcess.Start(["validate", "--config", file], new Dictionary<string, string> { ["ROUTERHOST__Pipeline__Stages__third__Settings__DecrementTtl"] = "false" });
        Assert.True(missing.WaitForExit(RouterHostProcess.RunTimeout));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: Pipeline:Stages:third: an environment variable ROUTERHOST__Pipeline__Stages__NAME__... names a stage 'third'", missing.Output, StringComparison.Ordinal);
    }

    private static List<ConfigurationProblem> Problems(IConfigurationRoot configuration)
    {
        var problems = new List<ConfigurationProblem>();
        RouterOptionsReader.Read(configuration, AppContext.BaseDirectory, problems);
        return problems.Where(p => p.Path.StartsWith("Pipeline:Stages:", StringComparison.Ordinal) && !p.Path.Contains(":Settings", StringComparison.Ordinal)).ToList();
    }
}
