#!/usr/bin/env perl
# Converts an actix-web app's routing to route-labels, one token per route:
#
#   #[get("/p")] fn ...        ->  #[route_labels::register] above it
#                                  (and above #[route(..)], #[routes])
#   web::get() / get()         ->  route_labels::get!()   (post, put, patch,
#                                  delete, head, trace; web::route() /
#                                  route() -> route_labels::route!())
#   web::resource(..)          ->  route_labels::resource!(..)
#
# Both import styles are converted: `web::get()` and, for apps that
# `use actix_web::web::*;`, a bare `get()`. A bare call is converted only as
# a free function call: not a method (`rate_limit.post()`), not another
# path (`client::get()`), not a definition (`fn get()`), not a macro already
# (`get!()`). Services that are not handlers (actix-files, redirects, API
# docs UIs) need a label: wrap them in `route_labels::service!` by hand.
#
#   perl scripts/convert-routes.pl src/**/*.rs      # in place, lists changes
#   perl scripts/convert-routes.pl --stdout FILE    # prints the result
use strict;
use warnings;

my $stdout = @ARGV && $ARGV[0] eq '--stdout' ? shift @ARGV : undef;
die "usage: convert-routes.pl [--stdout] FILE...\n" unless @ARGV;

my $methods = qr/get|post|put|patch|delete|head|trace/;
my $attrs = qr/get|post|put|patch|delete|head|options|trace|connect|route|routes/;

for my $file (@ARGV) {
    open my $in, '<', $file or die "$file: $!\n";
    my @lines = <$in>;
    close $in;
    my @out;
    my $under_routes = 0;
    for my $i (0 .. $#lines) {
        my $line = $lines[$i];
        if ($line =~ /^(\s*)#\[(?:actix_web::)?($attrs)\b/) {
            my ($indent, $attr) = ($1, $2);
            my $previous = @out ? $out[-1] : '';
            if (!$under_routes && $previous !~ /#\[route_labels::register\]/) {
                push @out, "$indent#[route_labels::register]\n";
            }
            $under_routes = 1 if $attr eq 'routes';
        } elsif ($line =~ /^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s/) {
            $under_routes = 0;
        }
        # Builders, with the `web::` path or bare (a glob import).
        $line =~ s/\bweb::($methods|route)\(\)/route_labels::$1!()/g;
        $line =~ s/\bweb::resource\(/route_labels::resource!(/g;
        $line =~ s/(?<![\w.:!])(?<!fn )($methods|route)\(\)/route_labels::$1!()/g;
        $line =~ s/(?<![\w.:!])(?<!fn )resource\(/route_labels::resource!(/g;
        push @out, $line;
    }
    my $result = join '', @out;
    if ($stdout) {
        print $result;
    } elsif ($result ne join '', @lines) {
        open my $outfh, '>', $file or die "$file: $!\n";
        print $outfh $result;
        close $outfh;
        print "converted $file\n";
    }
}
