# SPDX-License-Identifier: MIT
# The corpus's Perl program: hashes, arrays, regexes, sprintf, sort, a closure, string growth.
use strict;
use warnings;

my %count;
my $text = "the quick brown fox jumps over the lazy dog " x 300;
$count{$_}++ for $text =~ /(\w+)/g;
print join(" ", map { "$_=$count{$_}" } sort keys %count), "\n";

my @rows = map { { id => $_, name => sprintf("row-%05d", $_), sq => $_ * $_ } } 1 .. 20000;
my @sorted = sort { $b->{sq} % 1000 <=> $a->{sq} % 1000 || $a->{id} <=> $b->{id} } @rows;
print "first: $sorted[0]{name} last: $sorted[-1]{name}\n";

my $make = sub { my $n = shift; return sub { return $n++ } };
my $next = $make->(10);
my $s = "";
$s .= $next->() . "," for 1 .. 5000;
print "length ", length($s), "\n";
