#!/usr/bin/perl
# Scores each message file named on the command line with SpamAssassin's local rules (no network
# tests, no user preferences), loading the rules once: one line per file, "file<TAB>score<TAB>rules".
# The same checks `spamassassin -L -t` runs, in one process (perl compiles the rules in seconds).
use strict;
use warnings;
use Mail::SpamAssassin;

my $sa = Mail::SpamAssassin->new({
  local_tests_only => 1,
  dont_copy_prefs => 1,
  userprefs_filename => "/dev/null",
});
$sa->init(1);
for my $file (@ARGV) {
  open(my $fh, "<:raw", $file) or die "$file: $!";
  my $raw = do { local $/; <$fh> };
  close $fh;
  my $mail = $sa->parse($raw);
  my $status = $sa->check($mail);
  printf "%s\t%.3f\t%s\n", $file, $status->get_score(), $status->get_names_of_tests_hit();
  $status->finish();
  $mail->finish();
}
