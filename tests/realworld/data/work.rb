# SPDX-License-Identifier: MIT
# The corpus's Ruby program: hashes, arrays, strings, symbols, a Struct, blocks, a thread.
Point = Struct.new(:x, :y)

words = ("the quick brown fox jumps over the lazy dog " * 300).split
freq = words.tally.sort.map { |w, n| "#{w}=#{n}" }
puts freq.join(" ")

points = (1..20000).map { |i| Point.new(i % 97, i % 89) }
far = points.max_by { |p| p.x * p.x + p.y * p.y }
puts "far: #{far.x},#{far.y}"

sums = 4.times.map { |t| Thread.new { (1..50000).reduce(0) { |a, i| a + (i * t) % 7 } } }.map(&:value)
puts "sums: #{sums.inspect}"
