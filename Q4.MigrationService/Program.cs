using Q4.Data;
using Q4.MigrationService;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDbContext<Q4DbContext>(Q4DbContext.ConnectionName, Q4DbContext.Configure);
builder.Services.AddHostedService<MigrationWorker>();

builder.Build().Run();
